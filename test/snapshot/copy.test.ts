import { snapshotterSuite } from './suite.js';
snapshotterSuite('copy');
