// Comparing two full trees (the copying snapshotter's parent and child), in
// walk order: what was added, changed or deleted.
import type { BigIntStats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { compareNames, entryTypeOf, lstatOrNull, sortedNames, type TreeEntry } from './tree.js';
import { readXattrs } from './xattr.js';

export type TreeEvent =
  | { kind: 'A' | 'C'; entry: TreeEntry } // added / changed: the upper entry (for 'A' dirs, descendants follow as 'A')
  | { kind: 'D'; rel: string } // deleted (a deleted directory is one event)
  | { kind: 'same-dir'; entry: TreeEntry }; // an unchanged directory being descended into

async function sameContent(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = Buffer.allocUnsafe(256 * 1024);
    const bb = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, null), fb.read(bb, 0, bb.length, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

function sameXattrs(a: string, b: string): boolean {
  const xa = readXattrs(a);
  const xb = readXattrs(b);
  if (xa.size !== xb.size) return false;
  for (const [k, v] of xa) if (!xb.get(k)?.equals(v)) return false;
  return true;
}

/**
 * Whether two entries look the same: type, permissions, owner, xattrs; for
 * non-directories also size, mtime (ns), link target, device number. When all
 * that agrees but the mtime has no sub-second part (it may have been
 * truncated by a copy or an archive), the contents decide.
 */
export async function sameEntry(lowerAbs: string, l: BigIntStats, upperAbs: string, u: BigIntStats): Promise<boolean> {
  if (entryTypeOf(l) !== entryTypeOf(u)) return false;
  if ((l.mode & 0o7777n) !== (u.mode & 0o7777n) || l.uid !== u.uid || l.gid !== u.gid) return false;
  if (!sameXattrs(lowerAbs, upperAbs)) return false;
  if (u.isDirectory()) return true; // directory size and mtime are no measure of change (as Docker)
  if (l.size !== u.size || l.mtimeNs !== u.mtimeNs || l.rdev !== u.rdev) return false;
  if (u.isSymbolicLink()) return (await readlink(lowerAbs)) === (await readlink(upperAbs));
  if (u.isFile() && u.mtimeNs % 1_000_000_000n === 0n) return sameContent(lowerAbs, upperAbs);
  return true;
}

async function* addedSubtree(upper: string, rel: string): AsyncGenerator<TreeEvent> {
  for (const name of sortedNames(`${upper}/${rel}`)) {
    const r = `${rel}/${name}`;
    const st = lstatOrNull(`${upper}/${r}`);
    if (!st) continue;
    yield { kind: 'A', entry: { rel: r, abs: `${upper}/${r}`, st } };
    if (st.isDirectory()) yield* addedSubtree(upper, r);
  }
}

/** Differences that turn the tree `lower` into the tree `upper`, in sorted depth-first order. */
export async function* compareTrees(lower: string, upper: string, rel = ''): AsyncGenerator<TreeEvent> {
  const at = (root: string): string => (rel === '' ? root : `${root}/${rel}`);
  const names = [...new Set([...sortedNames(at(lower)), ...sortedNames(at(upper))])].sort(compareNames);
  for (const name of names) {
    const r = rel === '' ? name : `${rel}/${name}`;
    const lAbs = `${lower}/${r}`;
    const uAbs = `${upper}/${r}`;
    const l = lstatOrNull(lAbs);
    const u = lstatOrNull(uAbs);
    if (!u) {
      if (l) yield { kind: 'D', rel: r };
      continue;
    }
    const entry: TreeEntry = { rel: r, abs: uAbs, st: u };
    if (!l) {
      yield { kind: 'A', entry };
      if (u.isDirectory()) yield* addedSubtree(upper, r);
      continue;
    }
    if (u.isDirectory() && !l.isDirectory()) {
      // a file became a directory: everything in it is new
      yield { kind: 'C', entry };
      yield* addedSubtree(upper, r);
      continue;
    }
    const same = await sameEntry(lAbs, l, uAbs, u);
    if (!same) yield { kind: 'C', entry };
    if (u.isDirectory()) {
      if (same) yield { kind: 'same-dir', entry };
      yield* compareTrees(lower, upper, r);
    }
  }
}
