// Registry garbage collection, online: no downtime, pushes may continue.
//
// Invariant: a blob is deleted only when no root names it, and the registry's
// roots are every blob linked into a repository, every manifest, and every
// digest a manifest references. Links are the registry's only hold on a blob;
// they are dropped (repo-link cleanup, here) only when no manifest in that
// repository names the blob AND the link is older than the grace period — in
// one write transaction, which SQLite orders against the manifest PUT's own
// transaction (that re-checks the links it needs). So:
//  - a blob being uploaded is an ingest, which the collector never touches;
//  - a blob just uploaded is linked (a root) the moment its commit returns,
//    and the link is younger than the grace period, so it survives until a
//    manifest claims it;
//  - a just-written manifest is a root (with what it references) as soon as
//    its transaction commits; before that it cannot be visible to a client;
//  - a blob re-pushed while the sweep runs: the content store's commit
//    refreshes its mtime, and the shared collector re-checks mtime after
//    parking a blob in its trash, so it puts it back.
// The shared collector (src/meta/gc.ts) does the mark and sweep over all
// modules' roots; this file adds the registry's RootProvider and link cleanup.
import { ContentStore } from '../content/index.js';
import { openDb, type Db } from '../meta/db.js';
import { collectGarbage, type RootProvider } from '../meta/gc.js';
import { registryMigrations } from './schema.js';
import { RepoDb } from './repo-db.js';

export interface RegistryGcOptions {
  root: string;
  store?: ContentStore;
  db?: Db;
  /** Links and blobs younger than this are kept (default 1 h). */
  graceMs?: number;
  dryRun?: boolean;
  /** Also delete manifests that no tag or index names (and that are not referrers). */
  deleteUntagged?: boolean;
  /**
   * The other modules' roots (images, build cache). The blobs are shared, so
   * a collection that left these out would delete images' blobs; the front
   * end that calls this composes them (see src/cli/commands/registry-roots.ts).
   */
  otherRoots?: RootProvider[];
}

export interface RegistryGcResult {
  untagged: number;
  unlinked: number;
  deleted: string[];
  bytes: number;
  /** Registry upload ingests and other stale ingests the collector dropped. */
  ingests: number;
}

/** The registry's roots for the shared collector. */
export function registryRoots(db: Db, without?: Set<string>): RootProvider {
  const rdb = new RepoDb(db);
  return { name: 'registry', roots: () => rdb.rootDigests(without) };
}

export async function runRegistryGc(opts: RegistryGcOptions): Promise<RegistryGcResult> {
  const store = opts.store ?? ContentStore.open(opts.root);
  const db = opts.db ?? openDb(opts.root, [registryMigrations]);
  const rdb = new RepoDb(db);
  const graceMs = opts.graceMs ?? 3600_000;
  let untagged = 0;
  if (opts.deleteUntagged) {
    for (const m of rdb.untaggedManifests()) {
      if (!opts.dryRun) rdb.deleteManifest(m.repo, m.digest);
      untagged++;
    }
  }
  const dropped = rdb.unlinkUnused(Date.now() - graceMs, opts.dryRun);
  const without = opts.dryRun ? new Set(dropped.map((d) => `${d.repo}\0${d.digest}`)) : undefined;
  const r = await collectGarbage({ store, db, roots: [registryRoots(db, without), ...(opts.otherRoots ?? [])], gracePeriodMs: graceMs, dryRun: opts.dryRun });
  return { untagged, unlinked: dropped.length, deleted: r.removed, bytes: r.freedBytes, ingests: r.ingestsRemoved.length };
}
