// What `docker diff` reports: A(dded), C(hanged), D(eleted) paths, sorted,
// with every parent directory of a change reported as changed (as Docker).
import type { BigIntStats } from 'node:fs';
import { compareTrees } from './compare.js';
import { lstatSync, readdirSync } from 'node:fs';
import { compareNames, isOverlayWhiteout, lstatOrNull, walkTree } from './tree.js';
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
      const st = lstatOrNull(abs);
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

/** A path in the lower layers: the first layer that has it, and the directories it merges (top first). */
interface LowerHit {
  abs: string;
  st: BigIntStats;
  /** For a directory: its dirs in each layer that shows through (an opaque one ends the list). */
  dirs: string[];
}

/** Finds name under a directory whose visible per-layer copies are parentDirs (top first). */
function findInLayers(parentDirs: readonly string[], name: string): LowerHit | null {
  let hit: LowerHit | null = null;
  for (const d of parentDirs) {
    const abs = `${d}/${name}`;
    const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
    if (!st) continue;
    if (isOverlayWhiteout(st)) break;
    if (!hit) hit = { abs, st, dirs: [] };
    if (!st.isDirectory() || !hit.st.isDirectory()) break; // a non-directory hides what lies below
    hit.dirs.push(abs);
    if (isOpaque(abs)) break;
  }
  return hit;
}

/** Names the merged lower directory shows. */
function visibleNames(dirs: readonly string[]): string[] {
  const seen = new Set<string>();
  const hidden = new Set<string>();
  for (const d of dirs) {
    for (const n of readdirSync(d)) {
      if (seen.has(n) || hidden.has(n)) continue;
      const st = lstatSync(`${d}/${n}`, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      if (isOverlayWhiteout(st)) hidden.add(n);
      else seen.add(n);
    }
  }
  return [...seen];
}

/**
 * Changes recorded in an overlayfs upper dir over the given lower layer dirs
 * (top first). Each lower directory's per-layer copies are worked out once,
 * as the walk enters it, so a lookup costs one lstat per layer that has the
 * parent directory.
 */
export async function changes(upperDir: string, lowerDirs: readonly string[] = []): Promise<Change[]> {
  const set = new ChangeSet();
  const dirs = new Map<string, string[]>([['', [...lowerDirs]]]);
  for await (const e of walkTree(upperDir)) {
    const slash = e.rel.lastIndexOf('/');
    const parentRel = slash === -1 ? '' : e.rel.slice(0, slash);
    const name = e.rel.slice(slash + 1);
    if (isOverlayWhiteout(e.st)) {
      set.add(e.rel, 'D');
      continue;
    }
    const lower = findInLayers(dirs.get(parentRel) ?? [], name);
    if (e.st.isDirectory()) {
      const opaque = isOpaque(e.abs);
      // below an opaque upper directory nothing of the lower layers shows
      dirs.set(e.rel, opaque || !lower ? [] : lower.dirs);
      if (!lower) {
        set.add(e.rel, 'A');
        continue;
      }
      if (!lower.st.isDirectory()) {
        set.add(e.rel, 'C');
        continue;
      }
      const same =
        (e.st.mode & 0o7777n) === (lower.st.mode & 0o7777n) &&
        e.st.uid === lower.st.uid &&
        e.st.gid === lower.st.gid &&
        sameXattrs(readXattrs(e.abs), readXattrs(lower.abs));
      if (!same || opaque) set.add(e.rel, 'C');
      if (opaque) {
        // everything the lower layers had in it is gone unless the upper has it again
        for (const n of visibleNames(lower.dirs)) {
          if (!lstatSync(`${e.abs}/${n}`, { throwIfNoEntry: false })) set.add(`${e.rel}/${n}`, 'D');
        }
      }
      continue;
    }
    set.add(e.rel, lower ? 'C' : 'A');
  }
  return set.list();
}

function sameXattrs(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}
