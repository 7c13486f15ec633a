// Snapshots of unpacked layers, kept once per chainID, with two drivers:
//
//   overlay  each committed snapshot is one layer's own overlayfs layer dir
//            (whiteouts as 0/0 char devices, opaque dirs as xattrs); an active
//            snapshot is an upper+work dir mounted over its parent chain.
//   copy     each snapshot is a full tree (parent copied with cp -a, then the
//            layer applied); mounts are bind mounts. For hosts without overlayfs.
//
// Layout under <root>/snapshots/:
//   <chainID hex>/fs        committed snapshots (layer.json beside fs: diffID, size)
//   k-<random>/fs, work     active snapshots and views
//   l/<6 chars>             -> ../<dir>/fs, short names so that lowerdir= for the
//                           kernel's 500 layers fits in mount(8)'s 4096 bytes
//                           (mount runs in l/, so lowerdir=AAAAAA:BBBBBB:...)
//   empty/                  an empty lower for one-layer read-only views
//   tmp/                    unpacks in progress (renamed into place when done)
//   driver                  which driver this root uses (chosen once)
// Metadata (kind, parent, link, diffID) is in the shared SQLite database.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer } from '../archive/apply.js';
import { changes as overlayChanges, changesBetween, type Change } from '../archive/changes.js';
import { tarDiff, tarOverlayUpper, type CreateOptions } from '../archive/create.js';
import { chainID as computeChainID } from '../archive/layer.js';
import { walkTree } from '../archive/tree.js';
import { digestHex, isDigest } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';
import { errnoCode, TugError } from '../util/errors.js';
import { mountSpec, unmountPath, type MountSpec } from './mounts.js';
import { SnapshotStore, type SnapshotRow } from './store.js';

export type SnapshotDriver = 'overlay' | 'copy';

export interface SnapshotterOptions {
  /** Forces a driver for a new root (default: overlay when the kernel and privileges allow, else copy; or $TUG_SNAPSHOTTER). */
  driver?: SnapshotDriver;
}

/** The kernel's overlayfs limit on lower layers. */
export const MAX_OVERLAY_LAYERS = 500;
/** Mount options that keep the upper dir a plain diff (no index, redirects or metacopy files to interpret). */
const OVERLAY_EXTRA = ['index=off', 'redirect_dir=off', 'metacopy=off'];
const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomLink(): string {
  const b = randomBytes(6);
  let s = '';
  for (let i = 0; i < 6; i++) s += LINK_ALPHABET[b[i] & 31];
  return s;
}

function cpTree(src: string, dst: string): Promise<void> {
  // cp -a keeps owners, modes, times, xattrs, hardlinks and device nodes; reflinks where the fs can
  return new Promise((resolve, reject) => {
    execFile('cp', ['-a', '--reflink=auto', `${src}/.`, dst], (err, _o, stderr) =>
      err ? reject(new TugError('INTERNAL', `copying snapshot ${src} failed: ${String(stderr).trim() || err.message}`)) : resolve(),
    );
  });
}

interface DriverFile {
  driver: SnapshotDriver;
  overlayOptions: string[];
}

/** Tries a real overlay mount once; the options it accepted, or null. */
function probeOverlay(tmp: string): string[] | null {
  if (process.getuid?.() !== 0) return null;
  try {
    if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay')) return null;
  } catch {
    return null;
  }
  const dir = join(tmp, `probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    for (const d of ['l1', 'l2', 'u', 'w', 'm']) mkdirSync(join(dir, d), { recursive: true });
    for (const extra of [OVERLAY_EXTRA, []]) {
      const opts = [`lowerdir=${dir}/l1:${dir}/l2`, `upperdir=${dir}/u`, `workdir=${dir}/w`, ...extra].join(',');
      const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, `${dir}/m`], { stdio: 'ignore' });
      if (r.status === 0) {
        spawnSync('umount', [`${dir}/m`], { stdio: 'ignore' });
        return extra;
      }
    }
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class Snapshotter {
  readonly driver: SnapshotDriver;
  /** <root>/snapshots */
  readonly dir: string;
  private readonly store: SnapshotStore;
  private readonly overlayOptions: string[];

  private constructor(dir: string, store: SnapshotStore, cfg: DriverFile) {
    this.dir = dir;
    this.store = store;
    this.driver = cfg.driver;
    this.overlayOptions = cfg.overlayOptions;
  }

  /** Opens the snapshots of a state root. The driver is chosen once per root (probing overlayfs) and then kept. */
  static open(root: string, opts: SnapshotterOptions = {}): Snapshotter {
    const dir = join(root, 'snapshots');
    for (const d of ['l', 'tmp', 'empty']) mkdirSync(join(dir, d), { recursive: true });
    const wanted = opts.driver ?? (process.env.TUG_SNAPSHOTTER as SnapshotDriver | undefined);
    if (wanted !== undefined && wanted !== 'overlay' && wanted !== 'copy') {
      throw new TugError('INVALID_ARGUMENT', `unknown snapshotter "${String(wanted)}"`, { hint: 'use overlay or copy' });
    }
    const file = join(dir, 'driver');
    let cfg: DriverFile | undefined;
    if (existsSync(file)) cfg = JSON.parse(readFileSync(file, 'utf8')) as DriverFile;
    if (!cfg) {
      const accepted = wanted === 'copy' ? null : probeOverlay(join(dir, 'tmp'));
      if (wanted === 'overlay' && accepted === null) {
        throw new TugError('UNSUPPORTED', 'the overlay snapshotter is not available here', { hint: 'it needs root and a kernel with overlayfs; use the copy snapshotter' });
      }
      cfg = { driver: accepted === null ? 'copy' : 'overlay', overlayOptions: accepted ?? [] };
      const tmp = `${file}.${process.pid}`;
      writeFileSync(tmp, JSON.stringify(cfg));
      try {
        // link(2) fails if another process decided first: then its choice stands
        spawnSync('ln', [tmp, file]);
      } finally {
        rmSync(tmp, { force: true });
      }
      cfg = JSON.parse(readFileSync(file, 'utf8')) as DriverFile;
    }
    if (wanted !== undefined && wanted !== cfg.driver) {
      throw new TugError('CONFLICT', `this state root uses the ${cfg.driver} snapshotter, not ${wanted}`, { hint: 'use another --root for another snapshotter' });
    }
    sweepTemp(dir);
    return new Snapshotter(dir, new SnapshotStore(root), cfg);
  }

  private fs(row: SnapshotRow): string {
    return join(this.dir, row.dir, 'fs');
  }

  private committed(chainID: Digest): SnapshotRow {
    const row = this.store.get(chainID);
    if (!row || row.kind !== 'committed') throw new TugError('NOT_FOUND', `no committed snapshot ${chainID}`, { hint: 'unpack the layer first' });
    return row;
  }

  private get(key: string): SnapshotRow {
    const row = this.store.get(key);
    if (!row) throw new TugError('NOT_FOUND', `no snapshot ${key}`);
    return row;
  }

  /** Creates l/<name> -> ../<dir>/fs under a fresh short name. */
  private newLink(dirName: string): string {
    for (;;) {
      const name = randomLink();
      try {
        symlinkSync(`../${dirName}/fs`, join(this.dir, 'l', name));
        return name;
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST') throw e;
      }
    }
  }

  private dropDir(dirName: string, link?: string): void {
    if (link) rmSync(join(this.dir, 'l', link), { force: true });
    const trash = join(this.dir, 'tmp', `rm-${dirName}-${randomBytes(4).toString('hex')}`);
    try {
      renameSync(join(this.dir, dirName), trash);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    rmSync(trash, { recursive: true, force: true });
  }

  async has(chainID: Digest): Promise<boolean> {
    return this.store.get(chainID)?.kind === 'committed';
  }

  /** The committed snapshot's recorded diffID and size, when it was unpacked from a layer (or committed with them). */
  async info(key: string): Promise<{ kind: SnapshotRow['kind']; parent: string | null; diffID: Digest | null; size: number | null }> {
    const r = this.get(key);
    return { kind: r.kind, parent: r.parent, diffID: r.diff_id, size: r.size };
  }

  /**
   * Unpacks one layer (gzip/zstd/plain tar) as the committed snapshot chainID
   * on top of parent. Idempotent: when chainID exists, the stream is destroyed
   * unread. Safe when several processes unpack the same layer at once (each
   * unpacks into tmp/, one rename wins). The layer's diffID must give chainID.
   */
  async unpack(chainID: Digest, parent: Digest | null, layerTar: Readable): Promise<{ diffID: Digest; size: number }> {
    if (!isDigest(chainID)) throw new TugError('INVALID_ARGUMENT', `invalid chainID ${chainID}`);
    const existing = this.store.get(chainID);
    if (existing?.kind === 'committed' && existing.diff_id !== null && existing.size !== null) {
      layerTar.destroy();
      return { diffID: existing.diff_id, size: existing.size };
    }
    let parentRow: SnapshotRow | null;
    try {
      parentRow = parent === null ? null : this.committed(parent);
    } catch (e) {
      layerTar.destroy();
      throw e;
    }
    const tmp = join(this.dir, 'tmp', `unpack-${process.pid}-${randomBytes(6).toString('hex')}`);
    const dirName = digestHex(chainID);
    let result: { diffID: Digest; size: number };
    try {
      mkdirSync(join(tmp, 'fs'), { recursive: true });
      if (this.driver === 'overlay') {
        result = await applyLayer(join(tmp, 'fs'), layerTar, { whiteouts: 'overlay' });
      } else {
        if (parentRow) await cpTree(this.fs(parentRow), join(tmp, 'fs'));
        result = await applyLayer(join(tmp, 'fs'), layerTar, { whiteouts: 'delete' });
      }
      const expected = parent === null ? result.diffID : computeChainID([parent, result.diffID]);
      if (expected !== chainID) {
        throw new TugError('DIGEST_MISMATCH', `layer with diffID ${result.diffID} on ${parent ?? 'no parent'} gives chainID ${expected}, not ${chainID}`, {
          hint: 'the layer blob does not match the image config; pull or load the image again',
        });
      }
      writeFileSync(join(tmp, 'layer.json'), JSON.stringify({ diffID: result.diffID, size: result.size, parent }));
      try {
        renameSync(tmp, join(this.dir, dirName));
      } catch (e) {
        if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e;
        // another process unpacked the same layer first: keep theirs
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch (e) {
      layerTar.destroy();
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    if (!(await this.has(chainID))) {
      const link = this.newLink(dirName);
      let inserted: boolean;
      try {
        inserted = this.store.insert({ key: chainID, kind: 'committed', parent, dir: dirName, link, diff_id: result.diffID, size: result.size, created: Date.now() });
      } catch (e) {
        // the parent was removed meanwhile: nothing can stand on this layer, drop it
        this.dropDir(dirName, link);
        throw e;
      }
      if (!inserted) rmSync(join(this.dir, 'l', link), { force: true });
    }
    return result;
  }

  private async create(key: string, parent: Digest | null, kind: 'active' | 'view'): Promise<void> {
    if (this.store.get(key)) throw new TugError('ALREADY_EXISTS', `snapshot ${key} already exists`);
    const parentRow = parent === null ? null : this.committed(parent);
    const dirName = `k-${randomBytes(8).toString('hex')}`;
    const base = join(this.dir, dirName);
    let link: string | undefined;
    try {
      mkdirSync(join(base, 'fs'), { recursive: true, mode: 0o755 });
      if (this.driver === 'overlay' && kind === 'active') mkdirSync(join(base, 'work'));
      if (this.driver === 'copy' && kind === 'active' && parentRow) await cpTree(this.fs(parentRow), join(base, 'fs'));
      link = this.newLink(dirName);
      if (!this.store.insert({ key, kind, parent, dir: dirName, link, diff_id: null, size: null, created: Date.now() })) {
        throw new TugError('ALREADY_EXISTS', `snapshot ${key} already exists`);
      }
    } catch (e) {
      this.dropDir(dirName, link);
      throw e;
    }
  }

  /** A writable snapshot on top of parent (null: empty). */
  prepare(key: string, parent: Digest | null): Promise<void> {
    return this.create(key, parent, 'active');
  }

  /** A read-only snapshot of parent. */
  view(key: string, parent: Digest | null): Promise<void> {
    return this.create(key, parent, 'view');
  }

  /** How key is mounted: overlay over short link names (run in l/), or a bind mount. */
  mountSpec(key: string): MountSpec {
    const row = this.get(key);
    if (row.kind === 'committed') throw new TugError('INVALID_ARGUMENT', `snapshot ${key} is committed; mount a view of it`);
    const parents = row.parent === null ? [] : this.store.chain(row.parent);
    if (this.driver === 'copy') {
      const src = row.kind === 'view' && parents.length > 0 ? this.fs(parents[0]) : this.fs(row);
      return { type: 'bind', source: src, options: [], readonly: row.kind === 'view' };
    }
    if (parents.length === 0) return { type: 'bind', source: this.fs(row), options: [], readonly: row.kind === 'view' };
    if (parents.length > MAX_OVERLAY_LAYERS) {
      throw new TugError('UNSUPPORTED', `the image has ${parents.length} layers; overlayfs stacks at most ${MAX_OVERLAY_LAYERS}`, { hint: 'squash the image' });
    }
    const lowers = parents.map((p) => p.link);
    const cwd = join(this.dir, 'l');
    if (row.kind === 'view') {
      // overlayfs needs two lowers when there is no upper
      if (lowers.length === 1) lowers.push('../empty');
      return { type: 'overlay', source: 'overlay', options: [`lowerdir=${lowers.join(':')}`, ...this.overlayOptions, 'ro'], cwd, readonly: true };
    }
    return {
      type: 'overlay',
      source: 'overlay',
      options: [`lowerdir=${lowers.join(':')}`, `upperdir=${row.link}`, `workdir=${row.link}/../work`, ...this.overlayOptions],
      cwd,
    };
  }

  /** Mounts the active snapshot or view at target (an existing directory). */
  async mount(key: string, target: string): Promise<void> {
    await mountSpec(this.mountSpec(key), target);
  }

  /** Unmounts target; lazy when busy; fine when not mounted. */
  unmount(target: string): Promise<void> {
    return unmountPath(target);
  }

  /** Layer dirs (nearest first) under an active snapshot, for overlay; the parent's full tree for copy. */
  private lowerDirs(row: SnapshotRow): string[] {
    return row.parent === null ? [] : this.store.chain(row.parent).map((p) => this.fs(p));
  }

  /** The snapshot's filesystem changes against its parent, as `docker diff` lists them. */
  async changes(key: string): Promise<Change[]> {
    const row = this.get(key);
    if (this.driver === 'overlay') return overlayChanges(this.fs(row), this.lowerDirs(row));
    const parentFs = row.parent === null ? join(this.dir, 'empty') : this.fs(this.committed(row.parent));
    return changesBetween(parentFs, this.fs(row));
  }

  /** An uncompressed OCI layer tar of the snapshot's changes. */
  diff(key: string, opts: CreateOptions = {}): Readable {
    const row = this.get(key);
    if (this.driver === 'overlay') return tarOverlayUpper(this.fs(row), opts);
    const parentFs = row.parent === null ? join(this.dir, 'empty') : this.fs(this.committed(row.parent));
    return tarDiff(parentFs, this.fs(row), opts);
  }

  /**
   * Makes the active snapshot key the committed snapshot chainID (the key is
   * gone afterwards). Unmount it first. When chainID already exists (same
   * content committed elsewhere), the active snapshot is just removed.
   */
  async commit(key: string, chainID: Digest, layer: { diffID?: Digest; size?: number } = {}): Promise<void> {
    if (!isDigest(chainID)) throw new TugError('INVALID_ARGUMENT', `invalid chainID ${chainID}`);
    const row = this.get(key);
    if (row.kind !== 'active') throw new TugError('INVALID_ARGUMENT', `snapshot ${key} is not an active snapshot`);
    const dirName = digestHex(chainID);
    if (await this.has(chainID)) {
      await this.remove(key);
      return;
    }
    rmSync(join(this.dir, row.dir, 'work'), { recursive: true, force: true });
    writeFileSync(join(this.dir, row.dir, 'layer.json'), JSON.stringify({ diffID: layer.diffID ?? null, size: layer.size ?? null, parent: row.parent }));
    try {
      renameSync(join(this.dir, row.dir), join(this.dir, dirName));
    } catch (e) {
      if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e;
      await this.remove(key); // another process committed the same chainID first
      return;
    }
    // re-point the short link at the new directory name, atomically
    const tmpLink = join(this.dir, 'l', `.${row.link}.${process.pid}`);
    rmSync(tmpLink, { force: true });
    symlinkSync(`../${dirName}/fs`, tmpLink);
    renameSync(tmpLink, join(this.dir, 'l', row.link));
    if (!this.store.commit(key, chainID, dirName, layer.diffID ?? null, layer.size ?? null)) {
      // lost a race after the rename: the other row points at the same directory
      this.store.delete(key, ['active']);
      rmSync(join(this.dir, 'l', row.link), { force: true });
    }
  }

  /** Removes an active snapshot or view (unmount it first). */
  async remove(key: string): Promise<void> {
    const row = this.store.delete(key, ['active', 'view']);
    this.dropDir(row.dir, row.link);
  }

  /** Removes a committed snapshot; refused (CONFLICT) while other snapshots stand on it. */
  async removeCommitted(chainID: Digest): Promise<void> {
    const row = this.store.delete(chainID, ['committed']);
    this.dropDir(row.dir, row.link);
  }

  /** Disk usage of the snapshot's own data (overlay: its upper dir; copy: its whole tree), hardlinks counted once. */
  async usage(key: string): Promise<{ size: number; inodes: number }> {
    const row = this.get(key);
    const seen = new Set<string>();
    let size = 0;
    let inodes = 0;
    for await (const e of walkTree(this.fs(row))) {
      const id = `${e.st.dev}:${e.st.ino}`;
      if (seen.has(id)) continue;
      seen.add(id);
      inodes++;
      size += Number(e.st.blocks) * 512;
    }
    return { size, inodes };
  }

  /** All snapshots, for `system df` and GC. */
  list(): Array<{ key: string; kind: SnapshotRow['kind']; parent: string | null }> {
    return this.store.list().map((r) => ({ key: r.key, kind: r.kind, parent: r.parent }));
  }

  /** Path of a snapshot's own tree (copy: the full tree; overlay: the layer/upper dir), for callers that read it directly. */
  path(key: string): string {
    return this.fs(this.get(key));
  }
}

/** Whether path is a leftover unpack from a process that died (for cleanup). */
export function isStaleTemp(name: string): boolean {
  if (name.startsWith('rm-')) return true; // trash: whoever finds it may finish removing it
  const m = /^(?:unpack|probe)-(\d+)-/.exec(name);
  if (!m) return false;
  try {
    process.kill(Number(m[1]), 0);
    return false;
  } catch {
    return true;
  }
}

/** Removes unpacks and deletions left behind by processes that died. */
export function sweepTemp(snapshotsDir: string): void {
  const tmp = join(snapshotsDir, 'tmp');
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return;
  }
  for (const n of names) if (isStaleTemp(n)) rmSync(join(tmp, n), { recursive: true, force: true });
}

export type { Change };
