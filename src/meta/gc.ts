// The one garbage collector for the content store. Blobs are shared by
// images, the builder and the registry, so only this code deletes them;
// `image prune`, `builder prune` and `registry gc` decide what stops being a
// root, then call collectGarbage().
//
// Mark: tricolour, from the roots the caller's providers name (image tags,
// registry manifests, build-cache records) plus every unexpired lease. A root
// that is a manifest or index (JSON, found in the store) makes its config,
// layers and manifests reachable too. `subject` is not followed: a referrer
// does not keep its subject alive, nor the other way round; callers that want
// that add them as roots.
//
// Sweep, safe while other processes write (the registry runs it online).
// Invariants it relies on:
//  1. A blob appears only by renaming a verified ingest into blobs/, and every
//     commit, including one that finds the blob already there, sets the
//     blob's mtime to now (ContentWriter.commit → touchIfExists).
//  2. Whatever makes a blob reachable (a tag, a registry link, a cache record,
//     a lease resource) is written in a SQLite write transaction (writeTx).
//     The final mark and the sweep run inside ONE write transaction, so each
//     such write lands either before it (and is seen) or after the sweep.
//  3. Work in flight holds a lease on its blobs (added before writing when the
//     digest is known, else right after commit), or records its root within
//     gracePeriodMs of committing. A blob whose mtime is within the grace
//     period is never removed.
//  4. "Is it still old?" and the removal are one step: the blob is renamed
//     into ingest/.gc/, its mtime re-read there, and only then unlinked (or
//     renamed back). A writer's touch that lands before the rename is seen;
//     one after it finds no blob and commits its own fresh copy.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContentStore } from '../content/store.js';
import { pidAlive } from '../content/writer.js';
import { isDigest, sha256 } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';
import { errnoCode } from '../util/errors.js';
import { writeTx, type Db } from './db.js';
import { deleteExpiredLeases, leasedResources } from './leases.js';

/** A source of root digests. Called inside the collector's write transaction: synchronous DB reads only. */
export interface RootProvider {
  readonly name: string;
  roots(db: Db): Iterable<Digest>;
}

/** A provider from one SQL query whose first column is a digest (NULLs ignored). */
export function sqlRoots(name: string, sql: string, ...params: unknown[]): RootProvider {
  return {
    name,
    *roots(db: Db) {
      for (const v of db.prepare(sql).pluck().iterate(...params)) if (typeof v === 'string') yield v;
    },
  };
}

export interface GcOptions {
  store: ContentStore;
  db: Db;
  roots: RootProvider[];
  /** Blobs committed (or re-committed) more recently than this are kept. */
  gracePeriodMs: number;
  /** Report what would go, change nothing. */
  dryRun?: boolean;
  /** Ingests untouched for longer than this are removed (default 24 h). Held ingests are kept. */
  ingestMaxAgeMs?: number;
  /**
   * Consider only these blobs for removal (no walk, no ingest cleanup): how a
   * failed operation takes back the blobs it created, safely, when no root or
   * other lease needs them. Never delete blobs any other way.
   */
  only?: Iterable<Digest>;
  /** Leases whose resources do not count as roots in this run (the caller's own, when taking its blobs back). */
  ignoreLeases?: string[];
}

export interface GcResult {
  removed: Digest[];
  freedBytes: number;
  /** Blobs kept because something reaches them. */
  marked: number;
  /** Roots (or children) named but not in the store: dangling references for the caller to look at. */
  missing: Digest[];
  ingestsRemoved: string[];
  expiredLeases: number;
}

export const DEFAULT_INGEST_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export async function collectGarbage(opts: GcOptions): Promise<GcResult> {
  const { store, db } = opts;
  const start = Date.now();
  const cutoff = start - Math.max(0, opts.gracePeriodMs);
  const layout = store.layout;
  mkdirSync(layout.trashDir, { recursive: true });
  if (!opts.dryRun) recoverParked(store);

  // Phase 1, without the lock: mark from a first view of the roots (this
  // reads and caches every manifest), and find old unmarked blobs.
  const children = new Map<Digest, Digest[]>();
  const firstMark = await markAsync(store, allRoots(opts, db, start), children);
  const candidates: Array<{ digest: Digest; size: number }> = [];
  for await (const b of opts.only ? statOnly(store, opts.only) : store.walk()) {
    if (!firstMark.has(b.digest) && b.mtimeMs < cutoff) candidates.push({ digest: b.digest, size: b.size });
  }

  // Phase 2, under the write lock: roots again (cheap; new manifests are read,
  // known ones come from the cache), then sweep what is still unreachable.
  const result: GcResult = { removed: [], freedBytes: 0, marked: 0, missing: [], ingestsRemoved: [], expiredLeases: 0 };
  const sweep = () => {
    const now = Date.now();
    if (!opts.dryRun) result.expiredLeases = deleteExpiredLeases(db, now);
    const missing = new Set<Digest>();
    const black = mark(store, allRoots(opts, db, now), children, missing);
    result.marked = black.size - missing.size;
    result.missing = [...missing].sort();
    for (const c of candidates) {
      if (black.has(c.digest)) continue;
      if (opts.dryRun) {
        result.removed.push(c.digest);
        result.freedBytes += c.size;
        continue;
      }
      const freed = removeIfStillOld(store, c.digest, cutoff);
      if (freed !== undefined) {
        result.removed.push(c.digest);
        result.freedBytes += freed;
      }
    }
  };
  if (opts.dryRun) db.transaction(sweep).deferred();
  else writeTx(db, sweep);

  if (opts.only) {
    result.removed.sort();
    return result;
  }
  const ingestCutoff = start - (opts.ingestMaxAgeMs ?? DEFAULT_INGEST_MAX_AGE_MS);
  for await (const ing of store.ingests()) {
    if (ing.mtimeMs >= ingestCutoff || ingestHeld(store, ing.ref)) continue;
    if (!opts.dryRun) await store.abortIngest(ing.ref).catch(() => {});
    result.ingestsRemoved.push(ing.ref);
  }
  result.removed.sort();
  return result;
}

function allRoots(opts: GcOptions, db: Db, now: number): Digest[] {
  const out: Digest[] = [...leasedResources(db, 'content', now, opts.ignoreLeases)];
  for (const p of opts.roots) for (const d of p.roots(db)) out.push(d);
  return out.filter(isDigest);
}

async function* statOnly(store: ContentStore, digests: Iterable<Digest>): AsyncIterable<{ digest: Digest; size: number; mtimeMs: number }> {
  for (const digest of new Set(digests)) {
    if (!isDigest(digest)) continue;
    try {
      const st = statSync(store.blobPath(digest));
      yield { digest, size: st.size, mtimeMs: st.mtimeMs };
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
  }
}

/** Tricolour mark: grey = the stack, black = the returned set; white is everything else. */
function mark(store: ContentStore, roots: Digest[], cache: Map<Digest, Digest[]>, missing: Set<Digest>): Set<Digest> {
  const black = new Set<Digest>();
  const grey = [...roots];
  while (grey.length > 0) {
    const d = grey.pop()!;
    if (black.has(d)) continue;
    black.add(d);
    for (const c of childrenOf(store, d, cache, missing)) if (!black.has(c)) grey.push(c);
  }
  return black;
}

/** Phase 1's mark: the same walk with async reads, so an online registry keeps serving while it runs. */
async function markAsync(store: ContentStore, roots: Digest[], cache: Map<Digest, Digest[]>): Promise<Set<Digest>> {
  const black = new Set<Digest>();
  const grey = [...roots];
  while (grey.length > 0) {
    const d = grey.pop()!;
    if (black.has(d)) continue;
    black.add(d);
    let kids = cache.get(d);
    if (!kids) {
      const bytes = await readSmallJson(store, d);
      if (bytes === 'missing') continue;
      kids = bytes === 'leaf' ? [] : childrenIn(d, bytes);
      cache.set(d, kids);
    }
    for (const c of kids) if (!black.has(c)) grey.push(c);
  }
  return black;
}

async function readSmallJson(store: ContentStore, d: Digest): Promise<Buffer | 'leaf' | 'missing'> {
  let fh;
  try {
    fh = await open(store.blobPath(d), 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(Math.min(size, 64));
    await fh.read(head, 0, head.length, 0);
    if (size > MAX_MANIFEST_BYTES || !looksLikeJson(head)) return 'leaf';
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

function looksLikeJson(head: Buffer): boolean {
  return head.toString('latin1').trimStart().startsWith('{');
}

/** Digests a manifest/index names, if the bytes really are blob d (a blob that rotted on disk is a leaf). */
function childrenIn(d: Digest, bytes: Buffer): Digest[] {
  return sha256(bytes) === d ? descriptorDigests(bytes) : [];
}

/** Children of a manifest or index blob; none for anything else (layers, configs, unknown JSON). */
function childrenOf(store: ContentStore, d: Digest, cache: Map<Digest, Digest[]>, missing: Set<Digest>): Digest[] {
  const hit = cache.get(d);
  if (hit) return hit;
  let bytes: Buffer;
  let fd: number;
  try {
    fd = openSync(store.blobPath(d), 'r');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') {
      missing.add(d); // not cached: it may be written later
      return [];
    }
    throw e;
  }
  try {
    const { size } = fstatSync(fd);
    const head = Buffer.alloc(Math.min(size, 64));
    readSync(fd, head, 0, head.length, 0);
    if (size > MAX_MANIFEST_BYTES || !looksLikeJson(head)) {
      cache.set(d, []);
      return [];
    }
    bytes = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, bytes, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  const kids = childrenIn(d, bytes);
  cache.set(d, kids);
  return kids;
}

function descriptorDigests(bytes: Buffer): Digest[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  if (typeof doc !== 'object' || doc === null) return [];
  const o = doc as { manifests?: unknown; config?: unknown; layers?: unknown };
  const descs: unknown[] = [];
  if (Array.isArray(o.manifests)) descs.push(...o.manifests);
  else if (Array.isArray(o.layers)) descs.push(o.config, ...o.layers);
  const out: Digest[] = [];
  for (const x of descs) {
    const dg = typeof x === 'object' && x !== null ? (x as { digest?: unknown }).digest : undefined;
    if (typeof dg === 'string' && isDigest(dg)) out.push(dg);
  }
  return out;
}

let parkSeq = 0;

/** Invariant 4: park, re-check the mtime, then remove or put back. Returns bytes freed, or undefined if kept. */
function removeIfStillOld(store: ContentStore, d: Digest, cutoff: number): number | undefined {
  const path = store.blobPath(d);
  const parked = join(store.layout.trashDir, `${path.slice(store.layout.blobsDir.length + 1)}.${process.pid}.${parkSeq++}`);
  try {
    renameSync(path, parked);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined; // someone else removed it
    throw e;
  }
  const st = statSync(parked);
  if (st.mtimeMs >= cutoff) {
    renameSync(parked, path); // touched by a writer just now: keep (same bytes if it was re-committed meanwhile)
    return undefined;
  }
  unlinkSync(parked);
  return st.size;
}

/** A collector that died between park and unlink leaves a file in ingest/.gc/: put it back, the next run decides. */
function recoverParked(store: ContentStore): void {
  let names: string[];
  try {
    names = readdirSync(store.layout.trashDir);
  } catch {
    return;
  }
  for (const name of names) {
    const [hex, pid] = name.split('.');
    if (Number(pid) !== process.pid && pidAlive(Number(pid))) continue; // another live collector is mid-check
    try {
      renameSync(join(store.layout.trashDir, name), join(store.layout.blobsDir, hex));
    } catch {
      /* already handled */
    }
  }
}

function ingestHeld(store: ContentStore, ref: string): boolean {
  try {
    const pid = Number(readdirSync(store.layout.ingestPath(ref)).includes('lock') ? readLock(join(store.layout.ingestPath(ref), 'lock')) : 0);
    return pid > 0 && pidAlive(pid);
  } catch {
    return false;
  }
}

function readLock(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(32);
    const n = readSync(fd, buf, 0, 32, 0);
    return buf.subarray(0, n).toString().trim();
  } finally {
    closeSync(fd);
  }
}
