// Where blobs came from: digest -> (registry, repository), recorded on every
// pull and push, so a later push to another repository of the same registry
// can ask for a cross-repository mount instead of uploading the bytes again.
import { openDb, writeTx, type Db, type MigrationSet } from '../meta/db.js';
import type { Digest } from '../oci/types.js';

export const distributionMigrations: MigrationSet = {
  module: 'distribution',
  steps: [
    `CREATE TABLE distribution_blob_sources (
       digest TEXT NOT NULL,
       registry TEXT NOT NULL,
       repository TEXT NOT NULL,
       seen_at INTEGER NOT NULL,
       PRIMARY KEY (digest, registry, repository)
     )`,
  ],
};

export function sourcesDb(root: string): Db {
  return openDb(root, [distributionMigrations]);
}

export function recordSources(root: string, registry: string, repository: string, digests: Digest[]): void {
  if (digests.length === 0) return;
  const db = sourcesDb(root);
  const now = Date.now();
  const stmt = db.prepare(
    `INSERT INTO distribution_blob_sources (digest, registry, repository, seen_at) VALUES (?, ?, ?, ?)
     ON CONFLICT(digest, registry, repository) DO UPDATE SET seen_at = excluded.seen_at`,
  );
  writeTx(db, () => {
    for (const d of new Set(digests)) stmt.run(d, registry, repository, now);
  });
}

/** Other repositories of `registry` known to hold the blob, most recent first. */
export function mountSources(root: string, registry: string, repository: string, digest: Digest): string[] {
  const rows = sourcesDb(root)
    .prepare(`SELECT repository FROM distribution_blob_sources WHERE digest = ? AND registry = ? AND repository != ? ORDER BY seen_at DESC`)
    .all(digest, registry, repository) as Array<{ repository: string }>;
  return rows.map((r) => r.repository);
}

/** Forgets a source the registry no longer has (a failed mount). */
export function forgetSource(root: string, registry: string, repository: string, digest: Digest): void {
  const db = sourcesDb(root);
  writeTx(db, () => db.prepare(`DELETE FROM distribution_blob_sources WHERE digest = ? AND registry = ? AND repository = ?`).run(digest, registry, repository));
}
