import { snapshotterSuite } from './suite.js';
snapshotterSuite('overlay');
