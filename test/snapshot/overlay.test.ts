import { manyLayersTest, snapshotterSuite } from './suite.js';
snapshotterSuite('overlay');
manyLayersTest();
