// Full step logs. Every RUN step's output (already scrubbed of secret values)
// streams into a blob in the content store while the step runs: never clipped,
// never held in memory. A successful step's log is held by its cache record
// (the blob is linked to the record like its layer, so `builder prune` frees
// it with the record); a failed step's log is held by a 7-day lease. Each
// build is recorded with its step keys, so `tug buildx logs IMAGE` can print
// the logs of the steps that made an image, cached ones included.
import type { ContentStore, ContentWriter } from '../content/index.js';
import type { Db, MigrationSet } from '../meta/db.js';
import { applyMigrations, writeTx } from '../meta/db.js';
import { addLeaseResource, createLease } from '../meta/leases.js';
import type { Digest } from '../oci/types.js';

export const buildLogMigrations: MigrationSet = {
  module: 'build-logs',
  steps: [
    `CREATE TABLE build_step_logs (
       key TEXT PRIMARY KEY,          -- the step's cache key
       digest TEXT NOT NULL,          -- the log blob
       size INTEGER NOT NULL,
       description TEXT NOT NULL,     -- "[stage 2/4] RUN make"
       exit_code INTEGER,             -- NULL: the step succeeded
       created_at INTEGER NOT NULL);
     CREATE TABLE build_log_builds (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       image_id TEXT,                 -- NULL: the build failed
       steps TEXT NOT NULL,           -- JSON step keys, in the order they started
       created_at INTEGER NOT NULL);
     CREATE INDEX build_log_builds_by_image ON build_log_builds(image_id);`,
  ],
};

const FAILED_LOG_LEASE_MS = 7 * 24 * 60 * 60 * 1000;

/** A log being written; write() may be called from a sync callback, order is kept. */
export class StepLog {
  private chain: Promise<void> = Promise.resolve();
  private bytes = 0;
  private failed?: unknown;

  private constructor(private readonly w: ContentWriter) {}

  static async open(store: ContentStore): Promise<StepLog> {
    return new StepLog(await store.writer());
  }

  write(data: Buffer): void {
    if (data.length === 0) return;
    this.bytes += data.length;
    this.chain = this.chain.then(() => this.w.write(data)).catch((e: unknown) => {
      this.failed ??= e;
    });
  }

  /** Commits the log; undefined when the step printed nothing (or the log could not be written). */
  async finish(): Promise<{ digest: Digest; size: number } | undefined> {
    await this.chain;
    if (this.bytes === 0 || this.failed) {
      await this.w.abort().catch(() => {});
      return undefined;
    }
    return this.w.commit();
  }
}

function ready(db: Db): Db {
  applyMigrations(db, [buildLogMigrations]);
  return db;
}

/** Records a step's log. When the step's cache record exists the blob is linked to it (a GC root until pruned); else a lease holds it. */
export function recordStepLog(db: Db, key: string, log: { digest: Digest; size: number }, description: string, exitCode?: number): void {
  ready(db);
  writeTx(db, () => {
    db.prepare(
      `INSERT INTO build_step_logs (key, digest, size, description, exit_code, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET digest = excluded.digest, size = excluded.size, description = excluded.description, exit_code = excluded.exit_code, created_at = excluded.created_at`,
    ).run(key, log.digest, log.size, description, exitCode ?? null, Date.now());
    const hasRecord = db.prepare('SELECT 1 FROM build_cache WHERE key = ?').get(key) !== undefined;
    if (hasRecord && exitCode === undefined) db.prepare('INSERT OR IGNORE INTO build_cache_layers (key, digest) VALUES (?, ?)').run(key, log.digest);
  });
  if (exitCode !== undefined) {
    const lease = createLease(db, { expiresInMs: FAILED_LOG_LEASE_MS, labels: { purpose: 'failed build step log', key } });
    addLeaseResource(db, lease.id, log.digest);
  }
}

/** Records which steps a build ran or reused (imageId null: it failed). */
export function recordBuildSteps(db: Db, imageId: string | null, keys: string[]): void {
  ready(db);
  writeTx(db, () => {
    db.prepare('INSERT INTO build_log_builds (image_id, steps, created_at) VALUES (?, ?, ?)').run(imageId, JSON.stringify(keys), Date.now());
    // keep the table small: the last 200 builds
    db.prepare('DELETE FROM build_log_builds WHERE id <= (SELECT MAX(id) FROM build_log_builds) - 200').run();
  });
}

export interface StepLogRow {
  key: string;
  digest: Digest;
  size: number;
  description: string;
  exitCode: number | null;
  createdAt: number;
}

const SELECT_ROW = 'SELECT key, digest, size, description, exit_code AS exitCode, created_at AS createdAt FROM build_step_logs';

/** Steps of the last build (imageId undefined) or of the last build that produced imageId, in order, those with a log. */
export function logsOfBuild(db: Db, imageId?: string): { imageId: string | null; createdAt: number; logs: StepLogRow[] } | undefined {
  ready(db);
  const row = (imageId === undefined
    ? db.prepare('SELECT image_id AS imageId, steps, created_at AS createdAt FROM build_log_builds ORDER BY id DESC LIMIT 1').get()
    : db.prepare('SELECT image_id AS imageId, steps, created_at AS createdAt FROM build_log_builds WHERE image_id = ? ORDER BY id DESC LIMIT 1').get(imageId)) as
    | { imageId: string | null; steps: string; createdAt: number }
    | undefined;
  if (!row) return undefined;
  const get = db.prepare(`${SELECT_ROW} WHERE key = ?`);
  const logs = (JSON.parse(row.steps) as string[]).map((k) => get.get(k) as StepLogRow | undefined).filter((r): r is StepLogRow => r !== undefined);
  return { imageId: row.imageId, createdAt: row.createdAt, logs };
}

/** Step logs whose key starts with `prefix` (with or without "sha256:"). */
export function logsByKeyPrefix(db: Db, prefix: string): StepLogRow[] {
  ready(db);
  const p = prefix.startsWith('sha256:') ? prefix : `sha256:${prefix}`;
  return db.prepare(`${SELECT_ROW} WHERE key >= ? AND key < ? ORDER BY key`).all(p, `${p}\uffff`) as StepLogRow[];
}

/** After builder prune: forget logs whose blob no cache record holds and whose lease has run out (or all). */
export function pruneStepLogs(db: Db, all: boolean): number {
  ready(db);
  return writeTx(db, () => {
    if (all) {
      db.prepare('DELETE FROM build_log_builds').run();
      return db.prepare('DELETE FROM build_step_logs').run().changes;
    }
    const cutoff = Date.now() - FAILED_LOG_LEASE_MS;
    return db.prepare('DELETE FROM build_step_logs WHERE key NOT IN (SELECT key FROM build_cache) AND (exit_code IS NULL OR created_at < ?)').run(cutoff).changes;
  });
}
