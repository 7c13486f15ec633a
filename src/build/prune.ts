// Build-cache housekeeping for `tug builder prune` and `tug buildx du`. Only
// records are dropped here; their blobs are freed by the one garbage collector
// (meta/gc.ts), run by the front end with every module's roots, so a layer an
// image still uses stays. Cache-mount directories go with --all.
import { existsSync, readdirSync, lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { applyMigrations, openDb, writeTx, type Db } from '../meta/db.js';
import { releaseSnapshots } from '../image/gc.js';
import { ImageService } from '../image/service.js';
import { deleteLease, listLeases } from '../meta/leases.js';
import { ImageRecords } from '../image/records.js';
import { imageMigrations } from '../image/schema.js';
import { BuildCache, buildMigrations, type StageState } from './cache.js';
import { buildLogMigrations, pruneStepLogs } from './steplog.js';

export interface PruneOptions {
  /** -a: every record, cache mounts, the explain history and all step logs. */
  all: boolean;
  /** --keep-storage: drop the least recently used records until at most this many bytes remain. */
  keepBytes?: number;
  /** --filter until=: only records unused for longer than this. */
  olderThanMs?: number;
}

export interface PruneResult {
  removedKeys: string[];
  snapshotsRemoved: number;
  /** Bytes of the records' own layers (what `du` showed); the GC says what was really freed. */
  recordBytes: number;
  cacheMountBytes: number;
  cacheMountsRemoved: number;
}

function dirSize(dir: string): number {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) stack.push(p);
      else total += st.size;
    }
  }
  return total;
}

function cacheMountsRoot(root: string): string {
  return join(root, 'build', 'cache-mounts');
}

/** Cache-mount directories (id hashes) with their sizes; locks and private copies of running builds are skipped. */
export function cacheMounts(root: string): Array<{ id: string; size: number; lastUsedAt: number }> {
  const base = cacheMountsRoot(root);
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((n) => /^[a-f0-9]{32}$/.test(n))
    .map((n) => ({ id: n, size: dirSize(join(base, n)), lastUsedAt: lstatSync(join(base, n)).mtimeMs }));
}

function chainsOf(db: Db): Map<string, { chain: string | null; depth: number }> {
  const rows = db.prepare('SELECT key, record FROM build_cache').all() as Array<{ key: string; record: string }>;
  return new Map(rows.map((r) => {
    const st = JSON.parse(r.record) as StageState;
    return [r.key, { chain: st.chainID, depth: st.layers.length }];
  }));
}

export async function pruneBuildCache(root: string, opts: PruneOptions): Promise<PruneResult> {
  const db = openDb(root, [buildMigrations, buildLogMigrations]);
  const cache = new BuildCache(db);
  const before = new Map(cache.usage().map((r) => [r.key, r.size]));
  const chainsBefore = chainsOf(db);
  const filtered = opts.keepBytes !== undefined || opts.olderThanMs !== undefined;
  cache.prune({ all: opts.all || !filtered, keepBytes: opts.keepBytes, olderThanMs: opts.olderThanMs });
  const after = new Set(cache.usage().map((r) => r.key));
  const removedKeys = [...before.keys()].filter((k) => !after.has(k));
  // the unpacked snapshots of dropped records go too, topmost first (a snapshot others stand on is refused),
  // unless an image or a remaining record still uses them
  const keep = [...after].map((k) => chainsBefore.get(k)?.chain).filter((c): c is string => !!c);
  const dropped = removedKeys.map((k) => chainsBefore.get(k)).filter((c): c is { chain: string; depth: number } => !!c?.chain).sort((a, b) => b.depth - a.depth);
  applyMigrations(db, [imageMigrations]);
  const snapshotsRemoved = await releaseSnapshots(ImageService.open(root), dropped.map((d) => d.chain), keep);
  pruneStepLogs(db, opts.all && !filtered);
  let cacheMountBytes = 0;
  let cacheMountsRemoved = 0;
  if (opts.all && !filtered) {
    // the explain history and the context stat cache: BuildKit's "internal" records, gone with -a
    writeTx(db, () => {
      db.prepare('DELETE FROM build_runs').run();
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'build_stat_cache'").get()) db.prepare('DELETE FROM build_stat_cache').run();
    });
    for (const l of listLeases(db)) if (l.labels.purpose === 'failed build step log') deleteLease(db, l.id);
  }
  if (opts.all && opts.keepBytes === undefined) {
    const now = Date.now();
    for (const m of cacheMounts(root)) {
      if (opts.olderThanMs !== undefined && now - m.lastUsedAt <= opts.olderThanMs) continue;
      if (existsSync(join(cacheMountsRoot(root), `${m.id}.lock`))) continue; // a running build holds it
      rmSync(join(cacheMountsRoot(root), m.id), { recursive: true, force: true });
      cacheMountBytes += m.size;
      cacheMountsRemoved++;
    }
  }
  return { removedKeys, snapshotsRemoved, recordBytes: removedKeys.reduce((s, k) => s + (before.get(k) ?? 0), 0), cacheMountBytes, cacheMountsRemoved };
}

export interface UsageRow {
  id: string;
  description: string;
  size: number;
  lastUsedAt: number;
  /** Its layer is not used by any image: pruning it frees the bytes. */
  reclaimable: boolean;
  shared: boolean;
  kind: 'regular' | 'exec.cachemount';
}

/** `buildx du`: one row per cache record and per cache-mount directory, most recently used first. */
export function buildCacheUsage(root: string): UsageRow[] {
  const db = openDb(root, [buildMigrations]);
  applyMigrations(db, [imageMigrations]);
  const imageBlobs = new Set<string>(new ImageRecords(db).referencedBlobs());
  const rows = db.prepare('SELECT key, record, size, last_used_at AS used, description FROM build_cache ORDER BY last_used_at DESC').all() as Array<{ key: string; record: string; size: number; used: number; description: string }>;
  const out: UsageRow[] = rows.map((r) => {
    const state = JSON.parse(r.record) as StageState;
    const top = state.layers[state.layers.length - 1]?.blob.digest;
    const shared = r.size > 0 && top !== undefined && imageBlobs.has(top);
    return { id: r.key.slice(7, 32), description: r.description, size: r.size, lastUsedAt: r.used, reclaimable: !shared, shared, kind: 'regular' };
  });
  for (const m of cacheMounts(root)) out.push({ id: m.id.slice(0, 25), description: 'cache mount', size: m.size, lastUsedAt: m.lastUsedAt, reclaimable: true, shared: false, kind: 'exec.cachemount' });
  return out.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
}
