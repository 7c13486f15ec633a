// Creating layer tars: from a whole tree, from an overlayfs upper dir, or as
// the difference between two trees. Entries are sorted and headers are
// deterministic (numeric owners, no user/group names, whole-second times
// clamped to sourceDateEpoch, hardlinks by inode), so the same tree always
// gives the same bytes and therefore the same digest.
import type { Readable } from 'node:stream';
import { compareTrees } from './compare.js';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './apply.js';
import type { TarHeader } from './tar-header.js';
import { tarStream, type WriteEntry } from './tar-writer.js';
import { HardlinkTracker, headerFor, isOverlayWhiteout, walkTree, clampTime, type HeaderOptions, type TreeEntry } from './tree.js';
import { getXattr, OPAQUE_XATTR } from './xattr.js';

export type CreateOptions = HeaderOptions;

function whiteoutHeader(name: string, uid: number, gid: number, mtime: number): TarHeader {
  return { name, type: 'file', mode: 0, uid, gid, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

function parentOf(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
}

function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf('/') + 1);
}

function whiteoutName(rel: string): string {
  const p = parentOf(rel);
  return p === '' ? `${WHITEOUT_PREFIX}${baseOf(rel)}` : `${p}/${WHITEOUT_PREFIX}${baseOf(rel)}`;
}

/** One tree entry as a tar entry (a hardlink when its inode was already written). */
async function toWriteEntry(e: TreeEntry, links: HardlinkTracker, opts: CreateOptions): Promise<WriteEntry | null> {
  const header = await headerFor(e, opts);
  if (!header) return null;
  const first = links.check(e.st, e.rel);
  if (first !== undefined) {
    return { header: { ...header, type: 'hardlink', linkname: first, size: 0 } };
  }
  return { header, source: header.type === 'file' ? e.abs : undefined };
}

async function* directoryEntries(dir: string, opts: CreateOptions): AsyncGenerator<WriteEntry> {
  const links = new HardlinkTracker();
  for await (const e of walkTree(dir)) {
    const w = await toWriteEntry(e, links, opts);
    if (w) yield w;
  }
}

/** A tar of the whole tree under dir (for import/export and full-copy layers). */
export function tarDirectory(dir: string, opts: CreateOptions = {}): Readable {
  return tarStream(directoryEntries(dir, opts));
}

async function* overlayUpperEntries(upper: string, opts: CreateOptions): AsyncGenerator<WriteEntry> {
  const links = new HardlinkTracker();
  for await (const e of walkTree(upper)) {
    if (isOverlayWhiteout(e.st)) {
      const mtime = clampTime(Number(e.st.mtimeMs / 1000n), opts);
      yield { header: whiteoutHeader(whiteoutName(e.rel), 0, 0, mtime) };
      continue;
    }
    const w = await toWriteEntry(e, links, opts);
    if (!w) continue;
    yield w;
    if (w.header.type === 'dir' && getXattr(e.abs, OPAQUE_XATTR)?.toString() === 'y') {
      yield { header: whiteoutHeader(`${e.rel}/${OPAQUE_WHITEOUT}`, 0, 0, w.header.mtime) };
    }
  }
}

/**
 * A layer tar from an overlayfs upper dir: 0/0 character devices become
 * `.wh.<name>`, trusted.overlay.opaque=y becomes `.wh..wh..opq`, and the
 * trusted.overlay.* bookkeeping xattrs are dropped. Needs root to read
 * trusted.* xattrs.
 */
export function tarOverlayUpper(upperDir: string, opts: CreateOptions = {}): Readable {
  return tarStream(overlayUpperEntries(upperDir, opts));
}

interface Frame {
  entry: TreeEntry;
  written: boolean;
}

async function* diffEntries(lower: string, upper: string, opts: CreateOptions): AsyncGenerator<WriteEntry> {
  const links = new HardlinkTracker();
  const stack: Frame[] = [];
  // Parents of a change are written first (once), so applying the layer recreates them with their metadata.
  async function* parents(rel: string): AsyncGenerator<WriteEntry> {
    while (stack.length && !rel.startsWith(`${stack[stack.length - 1].entry.rel}/`)) stack.pop();
    for (const f of stack) {
      if (f.written) continue;
      f.written = true;
      const w = await toWriteEntry(f.entry, links, opts);
      if (w) yield w;
    }
  }
  for await (const ev of compareTrees(lower, upper)) {
    if (ev.kind === 'D') {
      yield* parents(ev.rel);
      const p = stack.length ? stack[stack.length - 1].entry.st : null;
      const mtime = p ? clampTime(Number(p.mtimeMs / 1000n), opts) : clampTime(0, opts);
      yield { header: whiteoutHeader(whiteoutName(ev.rel), 0, 0, mtime) };
      continue;
    }
    yield* parents(ev.entry.rel);
    if (ev.kind === 'same-dir') {
      stack.push({ entry: ev.entry, written: false });
      continue;
    }
    const w = await toWriteEntry(ev.entry, links, opts);
    if (w) yield w;
    if (ev.entry.st.isDirectory()) stack.push({ entry: ev.entry, written: true });
  }
}

/**
 * A layer tar of what changed from the tree `lowerMerged` to the tree
 * `upperTree` (the copying snapshotter's diff): added and changed entries
 * with their parent directories, `.wh.<name>` for deletions.
 */
export function tarDiff(lowerMerged: string, upperTree: string, opts: CreateOptions = {}): Readable {
  return tarStream(diffEntries(lowerMerged, upperTree, opts));
}
