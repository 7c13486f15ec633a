// The metadata database: one SQLite file per state root, WAL mode, with
// versioned migrations contributed per module ("image", "runtime", ...), so
// each module owns its tables and they evolve independently.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

export interface MigrationSet {
  /** Module that owns these tables, e.g. "image". */
  module: string;
  /** Migrations in order; index i brings the module's schema to version i + 1. Never edit a shipped entry, append. */
  steps: Array<string | ((db: Db) => void)>;
}

const opened = new Map<string, Db>();

/** Opens (once per process) root/meta.db and applies any pending migrations of the given sets. */
export function openDb(root: string, sets: MigrationSet[]): Db {
  let db = opened.get(root);
  if (!db) {
    mkdirSync(root, { recursive: true });
    db = new Database(join(root, 'meta.db'), { timeout: 30_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec('CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)');
    opened.set(root, db);
  }
  applyMigrations(db, sets);
  return db;
}

/** Applies pending migrations of the given sets to an open database (idempotent, cheap when up to date). */
export function applyMigrations(db: Db, sets: MigrationSet[]): void {
  for (const set of sets) migrate(db, set);
}

function migrate(db: Db, set: MigrationSet): void {
  const current = (): number =>
    (db.prepare('SELECT version FROM schema_versions WHERE module = ?').get(set.module) as { version: number } | undefined)?.version ?? 0;
  if (current() >= set.steps.length) return;
  // IMMEDIATE takes the write lock first, so two processes never run the same step.
  const run = db.transaction(() => {
    for (let v = current(); v < set.steps.length; v++) {
      const step = set.steps[v];
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.prepare('INSERT INTO schema_versions (module, version) VALUES (?, ?) ON CONFLICT(module) DO UPDATE SET version = excluded.version').run(set.module, v + 1);
    }
  });
  run.immediate();
}

/** Runs fn in a write transaction that takes the lock up front (no upgrade deadlocks between processes). */
export function writeTx<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** Closes the root's database if this process opened it. */
export function closeDb(root: string): void {
  opened.get(root)?.close();
  opened.delete(root);
}

export function closeAll(): void {
  for (const db of opened.values()) db.close();
  opened.clear();
}
