// Walking a directory tree in a deterministic order and describing each entry
// as a tar header (numeric owners, no user/group names, clamped times).
import type { BigIntStats } from 'node:fs';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { errnoCode } from '../util/errors.js';
import type { EntryType, TarHeader } from './tar-header.js';
import { readXattrs } from './xattr.js';

export interface TreeEntry {
  /** Path relative to the walked root, '/'-separated, no leading slash. */
  rel: string;
  abs: string;
  st: BigIntStats;
}

/** Byte-wise order of names, so the order never depends on locale. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Synchronous stat/readdir on purpose: a walk is thousands of tiny syscalls, and
// going through libuv's thread pool for each made walks several times slower.
export function lstatOrNull(path: string): BigIntStats | null {
  try {
    return lstatSync(path, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch (e) {
    if (errnoCode(e) === 'ENOTDIR') return null;
    throw e;
  }
}

export function sortedNames(dir: string): string[] {
  try {
    return readdirSync(dir).sort(compareNames);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return [];
    throw e;
  }
}

/** Depth-first, names sorted per directory, parents before children; the root itself is not yielded. */
export async function* walkTree(root: string, relBase = ''): AsyncGenerator<TreeEntry> {
  const dirAbs = relBase === '' ? root : `${root}/${relBase}`;
  for (const name of sortedNames(dirAbs)) {
    const rel = relBase === '' ? name : `${relBase}/${name}`;
    const abs = `${root}/${rel}`;
    const st = lstatOrNull(abs);
    if (!st) continue; // vanished while walking
    yield { rel, abs, st };
    if (st.isDirectory()) yield* walkTree(root, rel);
  }
}

export function entryTypeOf(st: BigIntStats): EntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return null; // sockets are not archived (as Docker)
}

export function devMajor(rdev: bigint): number {
  return Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
}

export function devMinor(rdev: bigint): number {
  return Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
}

export function isOverlayWhiteout(st: BigIntStats): boolean {
  return st.isCharacterDevice() && st.rdev === 0n;
}

export interface HeaderOptions {
  /** Clamp every mtime to at most this (seconds since the epoch), as BuildKit's SOURCE_DATE_EPOCH. */
  sourceDateEpoch?: number;
}

export function clampTime(sec: number, opts: HeaderOptions): number {
  return opts.sourceDateEpoch !== undefined && sec > opts.sourceDateEpoch ? opts.sourceDateEpoch : sec;
}

function mtimeSeconds(st: BigIntStats): number {
  // floor division on bigint nanoseconds (also right for times before 1970)
  const ns = st.mtimeNs;
  const s = ns / 1_000_000_000n;
  return Number(ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s);
}

/** The tar header describing a tree entry (null for sockets). */
export async function headerFor(e: TreeEntry, opts: HeaderOptions, name = e.rel): Promise<TarHeader | null> {
  const type = entryTypeOf(e.st);
  if (!type) return null;
  return {
    name,
    type,
    mode: Number(e.st.mode & 0o7777n),
    uid: Number(e.st.uid),
    gid: Number(e.st.gid),
    size: type === 'file' ? Number(e.st.size) : 0,
    mtime: clampTime(mtimeSeconds(e.st), opts),
    linkname: type === 'symlink' ? readlinkSync(e.abs) : '',
    devmajor: type === 'char' || type === 'block' ? devMajor(e.st.rdev) : 0,
    devminor: type === 'char' || type === 'block' ? devMinor(e.st.rdev) : 0,
    xattrs: readXattrs(e.abs),
  };
}

/** Tracks inodes already written, so further names of the same inode become hardlinks. */
export class HardlinkTracker {
  private readonly seen = new Map<string, string>();

  /** The earlier name of this inode, or undefined (and remembers this one). */
  check(st: BigIntStats, name: string): string | undefined {
    if (st.isDirectory() || st.nlink < 2n) return undefined;
    const key = `${st.dev}:${st.ino}`;
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, name);
    return first;
  }
}
