import type { MigrationSet } from '../../src/meta/db.js';

export const HAMMER_MIGRATIONS: MigrationSet = {
  module: 'hammer_test',
  steps: [
    'CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO counters VALUES (1, 0)',
    'CREATE TABLE ledger (proc INTEGER NOT NULL, seq INTEGER NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (proc, seq))',
  ],
};
