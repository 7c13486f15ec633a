// Applies one layer tar to a directory, securely: nothing lands outside the
// directory whatever the entry names, symlinks or hardlinks in the tar say.
//
// On error the directory is left partly written: callers apply into a
// temporary directory and rename it into place only on success (as the
// snapshotter does), or remove it.
import { constants as fsc } from 'node:fs';
// Metadata calls are synchronous on purpose: thousands of tiny syscalls through
// libuv's thread pool made applying ~15x slower than tar(1).
import { chmodSync, closeSync, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/types.js';
import { errnoCode } from '../util/errors.js';
import { openLayerStream } from './compression.js';
import { invalidArchive } from './errors.js';
import { mknodAll, type NodeSpec } from './mknod.js';
import { cleanEntryPath, joinRel, resolveDirInRoot } from './paths.js';
import type { TarHeader } from './tar-header.js';
import { TarReader } from './tar-reader.js';
import { isLayerXattr, OPAQUE_XATTR, setXattr } from './xattr.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export interface ApplyOptions {
  /**
   * 'delete' (default): the directory is the merged tree of all lower layers,
   * whiteouts delete from it. 'overlay': the directory is this layer's own
   * overlayfs layer dir, whiteouts become 0/0 char devices and opaque dirs get
   * trusted.overlay.opaque=y (needs root).
   */
  whiteouts?: 'delete' | 'overlay';
  /** Apply the numeric uid/gid of entries (default: when running as root). */
  chown?: boolean;
  /** Create block/char device nodes (default: when running as root; skipped otherwise). */
  devices?: boolean;
  /** Told about what was skipped: device nodes without root, xattrs the filesystem refused. */
  onWarning?: (message: string) => void;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar. */
  diffID: Digest;
  /** Uncompressed size in bytes. */
  size: number;
}

interface DirMeta {
  abs: string;
  mode: number;
  mtime: number;
  atime: number;
}

const isRoot = process.getuid?.() === 0;
const TREE_CONFLICTS = new Set(['ENOENT', 'ENOTDIR', 'EEXIST', 'EISDIR', 'ELOOP', 'EMLINK', 'ENAMETOOLONG']);

/**
 * Applies a layer (gzip, zstd or plain tar, sniffed) into dir, creating dir if
 * needed. Throws TugError('INVALID_ARCHIVE') for corrupt, truncated or unsafe
 * input; the partial directory is then the caller's to remove.
 */
export async function applyLayer(dir: string, layer: Readable, opts: ApplyOptions = {}): Promise<ApplyResult> {
  await mkdir(dir, { recursive: true });
  const root = await realpath(dir);
  let input: Readable | undefined;
  try {
    const opened = await openLayerStream(layer);
    input = opened.stream;
    const applier = new Applier(root, opts);
    const reader = new TarReader(opened.stream);
    for await (const entry of reader.entries()) {
      try {
        await applier.entry(entry.header, entry.body, entry.offset);
      } catch (e) {
        // entries that contradict each other (a link to a path that an entry removed, a file under a file)
        if (errnoCode(e) && TREE_CONFLICTS.has(errnoCode(e)!)) {
          throw invalidArchive(`invalid tar: cannot apply entry "${entry.header.name}" at offset ${entry.offset}: ${(e as Error).message}`, e);
        }
        throw e;
      }
    }
    await applier.finish();
    return reader.stats;
  } catch (e) {
    input?.destroy();
    layer.destroy();
    throw e;
  }
}

class Applier {
  private readonly overlay: boolean;
  private readonly chown: boolean;
  private readonly devices: boolean;
  private readonly warn: (m: string) => void;
  /** Real relative paths this layer created: whiteouts only hide lower layers' entries. */
  private readonly created = new Set<string>();
  private readonly dirCache = new Map<string, string>();
  private readonly dirs: DirMeta[] = [];
  /** Device nodes, fifos and overlay whiteouts waiting to be made in one batch, with their headers. */
  private pending: Array<{ node: NodeSpec; rel: string; h: TarHeader; metadata: boolean }> = [];
  private readonly pendingPaths = new Set<string>();

  constructor(
    private readonly root: string,
    opts: ApplyOptions,
  ) {
    this.overlay = opts.whiteouts === 'overlay';
    this.chown = opts.chown ?? isRoot;
    this.devices = opts.devices ?? isRoot;
    this.warn = opts.onWarning ?? (() => {});
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  private parent(comps: readonly string[], create: boolean): string | null {
    const key = comps.join('/');
    const hit = this.dirCache.get(key);
    if (hit !== undefined) return hit;
    const rel = resolveDirInRoot(this.root, comps, create, (r) => this.created.add(r));
    if (rel !== null) this.dirCache.set(key, rel);
    return rel;
  }

  /** Removes whatever is at rel (not following symlinks). */
  private removeExisting(rel: string, isDir: boolean, isLink: boolean): void {
    if (isDir) rmSync(this.abs(rel), { recursive: true, force: true });
    else unlinkSync(this.abs(rel));
    // A removed directory or symlink may be part of a cached resolution.
    if (isDir || isLink) this.dirCache.clear();
  }

  /** Makes the batched nodes, then their owners, modes and times. */
  private async flushNodes(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingPaths.clear();
    await mknodAll(batch.map((p) => p.node));
    for (const p of batch) {
      if (p.metadata) this.metadata(p.node.path, p.rel, p.h);
      else if (this.chown) lchownSync(p.node.path, p.h.uid, p.h.gid);
    }
  }

  /** Queues a node; metadata=false for overlay whiteouts (owner only). */
  private queueNode(node: NodeSpec, rel: string, h: TarHeader, metadata = true): Promise<void> | void {
    this.pending.push({ node, rel, h, metadata });
    this.pendingPaths.add(rel);
    if (this.pending.length >= 256) return this.flushNodes();
  }

  async entry(h: TarHeader, body: () => AsyncGenerator<Buffer>, offset: number): Promise<void> {
    // Batched nodes stay safe only while nothing else changes the tree: any other entry flushes them first.
    const nodeLike = h.type === 'char' || h.type === 'block' || h.type === 'fifo' || (this.overlay && /(^|\/)\.wh\.[^/]+\/?$/.test(h.name));
    if (!nodeLike) await this.flushNodes();
    const comps = cleanEntryPath(h.name);
    if (comps.length === 0) {
      if (h.type !== 'dir') throw invalidArchive(`unsafe tar: entry "${h.name}" at offset ${offset} would replace the root directory`);
      this.dirs.push({ abs: this.root, mode: h.mode, mtime: h.mtime, atime: h.atime ?? h.mtime });
      if (this.chown) lchownSync(this.root, h.uid, h.gid);
      return;
    }
    const base = comps[comps.length - 1];
    const parentComps = comps.slice(0, -1);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(base, parentComps, h);

    const parentRel = (this.parent(parentComps, true))!;
    const rel = joinRel(parentRel, base);
    const abs = this.abs(rel);
    if (this.pendingPaths.has(rel)) await this.flushNodes();

    let linkTarget: string | undefined;
    if (h.type === 'hardlink') {
      linkTarget = this.hardlinkTarget(h, offset);
      if (linkTarget === abs) return; // a link to itself: nothing to do
    }
    const existing = lstatSync(abs, { throwIfNoEntry: false }) ?? null;
    if (existing && !(existing.isDirectory() && h.type === 'dir')) {
      await this.flushNodes(); // the tree changes: batched nodes first
      this.removeExisting(rel, existing.isDirectory(), existing.isSymbolicLink());
    }

    switch (h.type) {
      case 'dir':
        if (!existing || !existing.isDirectory()) mkdirSync(abs, { mode: 0o700 });
        break;
      case 'file':
        // metadata through the open descriptor saves three path lookups per file
        await writeFile(abs, body, h.size, (fd) => {
          if (this.chown) fchownSync(fd, h.uid, h.gid);
          this.xattrs(abs, rel, h);
          fchmodSync(fd, h.mode);
          futimesSync(fd, h.atime ?? h.mtime, h.mtime);
        });
        this.created.add(rel);
        return;
      case 'symlink':
        symlinkSync(h.linkname, abs);
        break;
      case 'hardlink':
        linkSync(linkTarget!, abs);
        break;
      case 'char':
      case 'block':
        if (!this.devices) {
          this.warn(`skipped device node /${rel} (needs root)`);
          return;
        }
        this.created.add(rel);
        return this.queueNode({ path: abs, kind: h.type, mode: h.mode, major: h.devmajor, minor: h.devminor }, rel, h);
      case 'fifo':
        this.created.add(rel);
        return this.queueNode({ path: abs, kind: 'fifo', mode: h.mode, major: 0, minor: 0 }, rel, h);
    }
    this.created.add(rel);
    this.metadata(abs, rel, h);
  }

  /** The absolute path a hardlink entry points to, which must be an existing non-directory inside the root. */
  private hardlinkTarget(h: TarHeader, offset: number): string {
    const comps = cleanEntryPath(h.linkname, `hardlink target of "${h.name}"`);
    if (comps.length === 0) throw invalidArchive(`unsafe tar: hardlink "${h.name}" at offset ${offset} points at the root`);
    const parentRel = this.parent(comps.slice(0, -1), false);
    const target = parentRel === null ? null : this.abs(joinRel(parentRel, comps[comps.length - 1]));
    const st = target ? lstatSync(target, { throwIfNoEntry: false }) : null;
    if (!target || !st) throw invalidArchive(`invalid tar: hardlink "${h.name}" points at "${h.linkname}", which is not in the layer`);
    if (st.isDirectory()) throw invalidArchive(`invalid tar: hardlink "${h.name}" points at a directory`);
    return target;
  }

  private xattrs(abs: string, rel: string, h: TarHeader): void {
    for (const [name, value] of h.xattrs) {
      if (!isLayerXattr(name)) continue; // a layer must not smuggle in overlayfs bookkeeping
      if (!setXattr(abs, name, value)) this.warn(`xattr ${name} on /${rel} not supported here; skipped`);
    }
  }

  private metadata(abs: string, rel: string, h: TarHeader): void {
    // Order matters: chown clears setuid/setgid and file capabilities, so it goes first.
    if (this.chown) lchownSync(abs, h.uid, h.gid);
    this.xattrs(abs, rel, h);
    if (h.type === 'dir') {
      // Permissions and times of directories are set at the end (children change the mtime; 0555 dirs must stay writable meanwhile).
      this.dirs.push({ abs, mode: h.mode, mtime: h.mtime, atime: h.atime ?? h.mtime });
      return;
    }
    if (h.type !== 'symlink') chmodSync(abs, h.mode);
    lutimesSync(abs, h.atime ?? h.mtime, h.mtime);
  }

  private async whiteout(base: string, parentComps: string[], h: TarHeader): Promise<void> {
    if (base === OPAQUE_WHITEOUT) {
      const dirRel = (this.parent(parentComps, true))!;
      const dirAbs = this.abs(dirRel);
      if (this.overlay) {
        if (!setXattr(dirAbs, OPAQUE_XATTR, Buffer.from('y'))) {
          throw invalidArchive(`cannot mark /${dirRel} opaque: setting trusted.* xattrs needs root and a filesystem that supports them`);
        }
        return;
      }
      for (const name of readdirSync(dirAbs)) {
        const rel = joinRel(dirRel, name);
        if (this.created.has(rel)) continue;
        const st = lstatSync(this.abs(rel));
        this.removeExisting(rel, st.isDirectory(), st.isSymbolicLink());
      }
      return;
    }
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return; // aufs metadata (.wh..wh.plnk etc.): not content
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw invalidArchive(`invalid tar: bad whiteout entry "${h.name}"`);
    const parentRel = this.parent(parentComps, this.overlay);
    if (parentRel === null) return; // nothing there to delete
    const rel = joinRel(parentRel, name);
    if (this.created.has(rel)) return; // whiteouts hide lower layers only, never this layer's own entries
    if (this.pendingPaths.has(rel)) await this.flushNodes();
    const st = lstatSync(this.abs(rel), { throwIfNoEntry: false });
    if (st) {
      await this.flushNodes(); // the tree changes: batched nodes first
      this.removeExisting(rel, st.isDirectory(), st.isSymbolicLink());
    }
    if (this.overlay) {
      if (!isRoot) throw invalidArchive(`cannot create the overlay whiteout for /${rel}: needs root`);
      await this.queueNode({ path: this.abs(rel), kind: 'char', mode: 0, major: 0, minor: 0 }, rel, h, false);
    }
  }

  async finish(): Promise<void> {
    await this.flushNodes();
    for (const d of this.dirs) {
      try {
        chmodSync(d.abs, d.mode);
        lutimesSync(d.abs, d.atime, d.mtime);
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e; // replaced later in the layer
      }
    }
  }
}

async function writeFile(abs: string, body: () => AsyncGenerator<Buffer>, size: number, finish: (fd: number) => void): Promise<void> {
  const fd = openSync(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    let written = 0;
    for await (const chunk of body()) {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      written += chunk.length;
    }
    if (written !== size) throw invalidArchive(`truncated tar: ${abs} got ${written} of ${size} bytes`);
    finish(fd);
  } finally {
    closeSync(fd);
  }
}
