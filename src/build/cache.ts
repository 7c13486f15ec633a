// The build cache: step key -> the stage state after that step, plus, per
// build target, the keys and inputs of its last build (for --explain).
// Records live in SQLite; the layers they name are GC roots until pruned.
import type { Db, MigrationSet } from '../meta/db.js';
import { writeTx } from '../meta/db.js';
import type { Descriptor, Digest, ImageConfig } from '../oci/types.js';
import { digestOf, type StepInputs } from './cachekey.js';

export const buildMigrations: MigrationSet = {
  module: 'build',
  steps: [
    `CREATE TABLE build_cache (
       key TEXT PRIMARY KEY,
       record TEXT NOT NULL,          -- JSON StageState
       size INTEGER NOT NULL,         -- bytes of the layer this step added
       created_at INTEGER NOT NULL,
       last_used_at INTEGER NOT NULL,
       description TEXT NOT NULL)`,
    `CREATE TABLE build_cache_layers (
       key TEXT NOT NULL REFERENCES build_cache(key) ON DELETE CASCADE,
       digest TEXT NOT NULL,
       PRIMARY KEY (key, digest)) WITHOUT ROWID`,
    `CREATE TABLE build_runs (
       target TEXT PRIMARY KEY,       -- context + dockerfile + target stage
       steps TEXT NOT NULL,           -- JSON RunStep[]
       created_at INTEGER NOT NULL)`,
    // a digest of the run's step keys: an unchanged (fully cached) run is not rewritten
    `ALTER TABLE build_runs ADD COLUMN keys_digest TEXT`,
  ],
};

export interface LayerRef {
  diffID: Digest;
  blob: Descriptor; // the compressed blob in the content store
}

/** The state of a stage after a step: enough to continue the build or export the image. */
export interface StageState {
  chainID: Digest | null;
  layers: LayerRef[];
  config: ImageConfig;
  /** Image id of the base, for history and intermediate images. */
  baseId?: string;
}

export interface RunStep {
  stage: string;
  index: number; // position of the step within its stage
  key: string;
  step: StepInputs;
}

export class BuildCache {
  constructor(private readonly db: Db) {}

  get(key: string): StageState | undefined {
    const row = this.db.prepare('SELECT record FROM build_cache WHERE key = ?').get(key) as { record: string } | undefined;
    if (!row) return undefined;
    this.db.prepare('UPDATE build_cache SET last_used_at = ? WHERE key = ?').run(Date.now(), key);
    return JSON.parse(row.record) as StageState;
  }

  put(key: string, state: StageState, addedBytes: number, description: string): void {
    const now = Date.now();
    writeTx(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO build_cache (key, record, size, created_at, last_used_at, description) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(key) DO UPDATE SET record = excluded.record, last_used_at = excluded.last_used_at`,
        )
        .run(key, JSON.stringify(state), addedBytes, now, now, description);
      const link = this.db.prepare('INSERT OR IGNORE INTO build_cache_layers (key, digest) VALUES (?, ?)');
      for (const l of state.layers) link.run(key, l.blob.digest);
    });
  }

  /** Every blob a cache record holds on to: roots for the garbage collector. */
  roots(): Digest[] {
    return (this.db.prepare('SELECT DISTINCT digest FROM build_cache_layers').all() as Array<{ digest: string }>).map((r) => r.digest);
  }

  lastRun(target: string): RunStep[] | undefined {
    const row = this.db.prepare('SELECT steps FROM build_runs WHERE target = ?').get(target) as { steps: string } | undefined;
    return row ? (JSON.parse(row.steps) as RunStep[]) : undefined;
  }

  /** Records a run unless it is the same as the last one; `complete` fills in details only when it is written. */
  recordRun(target: string, steps: RunStep[], complete?: () => void): void {
    const keys = digestOf(steps.map((s) => s.key));
    const row = this.db.prepare('SELECT keys_digest AS k FROM build_runs WHERE target = ?').get(target) as { k: string | null } | undefined;
    if (row?.k === keys) return;
    complete?.();
    writeTx(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO build_runs (target, steps, created_at, keys_digest) VALUES (?, ?, ?, ?)
           ON CONFLICT(target) DO UPDATE SET steps = excluded.steps, created_at = excluded.created_at, keys_digest = excluded.keys_digest`,
        )
        .run(target, JSON.stringify(steps), Date.now(), keys);
    });
  }

  /** Removes records (oldest use first) until at most keepBytes remain, or those unused since `until`. */
  prune(opts: { keepBytes?: number; olderThanMs?: number; all?: boolean }): { removed: number; freedBytes: number } {
    const rows = this.db.prepare('SELECT key, size, last_used_at AS used FROM build_cache ORDER BY last_used_at ASC').all() as Array<{ key: string; size: number; used: number }>;
    let total = rows.reduce((s, r) => s + r.size, 0);
    const now = Date.now();
    const victims: typeof rows = [];
    for (const r of rows) {
      const tooOld = opts.olderThanMs !== undefined && now - r.used > opts.olderThanMs;
      const overBudget = opts.keepBytes !== undefined && total > opts.keepBytes;
      if (opts.all || tooOld || overBudget) {
        victims.push(r);
        total -= r.size;
      }
    }
    writeTx(this.db, () => {
      const del = this.db.prepare('DELETE FROM build_cache WHERE key = ?');
      for (const v of victims) del.run(v.key);
    });
    return { removed: victims.length, freedBytes: victims.reduce((s, r) => s + r.size, 0) };
  }

  usage(): Array<{ key: string; size: number; createdAt: number; lastUsedAt: number; description: string }> {
    return this.db
      .prepare('SELECT key, size, created_at AS createdAt, last_used_at AS lastUsedAt, description FROM build_cache ORDER BY last_used_at DESC')
      .all() as Array<{ key: string; size: number; createdAt: number; lastUsedAt: number; description: string }>;
  }
}
