// What `docker diff` reports: A(dded), C(hanged), D(eleted) paths, sorted,
// with every parent directory of a change reported as changed (as Docker).
import type { BigIntStats } from 'node:fs';
import { compareTrees } from './compare.js';
import { compareNames, isOverlayWhiteout, lstatOrNull, sortedNames, walkTree } from './tree.js';
import { getXattr, OPAQUE_XATTR, readXattrs } from './xattr.js';

export type ChangeKind = 'A' | 'C' | 'D';

export interface Change {
  kind: ChangeKind;
  /** Absolute in the container's view: "/etc/hosts". */
  path: string;
}

class ChangeSet {
  private readonly byPath = new Map<string, ChangeKind>();

  add(rel: string, kind: ChangeKind): void {
    if (!this.byPath.has(rel) || kind !== 'C') this.byPath.set(rel, kind);
    // parents of a change are changed too
    for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) {
      const p = rel.slice(0, i);
      if (!this.byPath.has(p)) this.byPath.set(p, 'C');
    }
  }

  list(): Change[] {
    return [...this.byPath]
      .map(([rel, kind]) => ({ kind, path: `/${rel}` }))
      .sort((a, b) => compareNames(a.path, b.path));
  }
}

/** Changes from the tree `lower` to the tree `upper` (the copying snapshotter). */
export async function changesBetween(lower: string, upper: string): Promise<Change[]> {
  const set = new ChangeSet();
  for await (const ev of compareTrees(lower, upper)) {
    if (ev.kind === 'D') set.add(ev.rel, 'D');
    else if (ev.kind !== 'same-dir') set.add(ev.entry.rel, ev.kind);
  }
  return set.list();
}

function isOpaque(abs: string): boolean {
  return getXattr(abs, OPAQUE_XATTR)?.toString() === 'y';
}

/**
 * Looks a path up in overlay layer dirs (top first) as overlayfs would:
 * whiteouts hide, opaque directories stop the search. The stat, or null.
 */
export async function lookupLayered(lowers: readonly string[], rel: string): Promise<{ abs: string; st: BigIntStats } | null> {
  const comps = rel.split('/');
  for (const layer of lowers) {
    let stopBelow = false;
    let abs = layer;
    for (let j = 0; j < comps.length; j++) {
      abs = `${abs}/${comps[j]}`;
      const st = await lstatOrNull(abs);
      if (!st) break;
      if (isOverlayWhiteout(st)) return null;
      if (j === comps.length - 1) return { abs, st };
      if (!st.isDirectory()) return null; // a non-directory hides everything below it
      if (isOpaque(abs)) stopBelow = true;
    }
    if (stopBelow) return null;
  }
  return null;
}

/** Names in a directory as the overlay of the lower layers shows it. */
async function layeredNames(lowers: readonly string[], rel: string): Promise<string[]> {
  const names = new Set<string>();
  for (const layer of lowers) for (const n of await sortedNames(`${layer}/${rel}`)) names.add(n);
  const out: string[] = [];
  for (const n of names) if (await lookupLayered(lowers, `${rel}/${n}`)) out.push(n);
  return out;
}

/** Changes recorded in an overlayfs upper dir over the given lower layer dirs (top first). */
export async function changes(upperDir: string, lowerDirs: readonly string[] = []): Promise<Change[]> {
  const set = new ChangeSet();
  for await (const e of walkTree(upperDir)) {
    if (isOverlayWhiteout(e.st)) {
      set.add(e.rel, 'D');
      continue;
    }
    const lower = await lookupLayered(lowerDirs, e.rel);
    if (!lower) {
      set.add(e.rel, 'A');
      continue;
    }
    if (e.st.isDirectory() && lower.st.isDirectory()) {
      const opaque = isOpaque(e.abs);
      const same =
        (e.st.mode & 0o7777n) === (lower.st.mode & 0o7777n) &&
        e.st.uid === lower.st.uid &&
        e.st.gid === lower.st.gid &&
        sameXattrs(readXattrs(e.abs), readXattrs(lower.abs));
      if (!same || opaque) set.add(e.rel, 'C');
      if (opaque) {
        // everything the lower layers had in it is gone unless the upper has it again
        for (const n of await layeredNames(lowerDirs, e.rel)) {
          if (!(await lstatOrNull(`${e.abs}/${n}`))) set.add(`${e.rel}/${n}`, 'D');
        }
      }
      continue;
    }
    set.add(e.rel, 'C');
  }
  return set.list();
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}
