import type { MigrationSet } from '../../src/meta/db.js';

/** Roots owned by test writers: (owner, digest). */
export const GC_ONLINE_MIGRATIONS: MigrationSet = {
  module: 'gc_online_test',
  steps: ['CREATE TABLE online_roots (owner INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (owner, digest))'],
};
