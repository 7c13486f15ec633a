// One suite for every snapshot driver (as containerd's SnapshotterSuite):
// each driver must give the same trees, changes and diffs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { applyLayer, chainID, TarReader } from '../../src/archive/index.js';
import { closeAll } from '../../src/meta/db.js';
import { mountPoints, Snapshotter, type SnapshotDriver } from '../../src/snapshot/index.js';
import { isTugError } from '../../src/util/errors.js';
import { craftTar, listing, scratch, streamOf, isRoot, type CraftEntry } from '../archive/fixtures.js';
import { BUSYBOX_TAR, haveBusybox, PROJECT } from '../helpers.js';
import { holdIntegrationLock } from './lock.js';
import { createHash } from 'node:crypto';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Layer {
  tar: Buffer;
  diffID: string;
}

async function layer(entries: CraftEntry[]): Promise<Layer> {
  const tar = await craftTar(entries);
  return { tar, diffID: sha(tar) };
}

export function snapshotterSuite(driver: SnapshotDriver): void {
  const skip = !isRoot ? 'needs root (mounts)' : false;
  let release: (() => void) | undefined;
  let s: ReturnType<typeof scratch>;
  let mountsBefore: string[] = [];
  let n = 0;
  const fresh = (): Snapshotter => Snapshotter.open(join(s.dir, `root${n++}`), { driver });
  const target = (): string => {
    const t = join(s.dir, `mnt${n++}`);
    mkdirSync(t);
    return t;
  };

  before(async () => {
    if (skip) return;
    release = await holdIntegrationLock();
    s = scratch(`tug-snap-${driver}-`);
    mountsBefore = mountPoints();
  });
  after(() => {
    if (skip) return;
    // every test unmounts what it mounted: nothing of ours may be left in mountinfo
    const left = mountPoints().filter((m) => m.startsWith(s.dir));
    for (const m of left.reverse()) execFileSync('umount', ['-l', m]);
    closeAll();
    s.cleanup();
    release?.();
    assert.deepEqual(left, [], 'mounts left behind');
    assert.deepEqual(mountPoints().length, mountsBefore.length);
  });

  const L1 = layer([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/motd', body: 'hello\n' },
    { name: 'etc/hosts', body: '127.0.0.1 localhost\n' },
    { name: 'var/', type: 'directory' },
    { name: 'var/cache/', type: 'directory' },
    { name: 'var/cache/old', body: 'old' },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'opt/', type: 'directory' },
    { name: 'opt/old/', type: 'directory' },
    { name: 'opt/old/a', body: 'a' },
  ]);
  const L2 = layer([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.motd' },
    { name: 'var/', type: 'directory' },
    { name: 'var/cache/', type: 'directory' },
    { name: 'var/cache/.wh..wh..opq' },
    { name: 'var/cache/new', body: 'new' },
    { name: 'usr/', type: 'directory' },
    { name: 'usr/added', body: 'added' },
  ]);

  async function unpackBoth(sn: Snapshotter): Promise<[string, string]> {
    const [l1, l2] = await Promise.all([L1, L2]);
    const c1 = chainID([l1.diffID]);
    const c2 = chainID([l1.diffID, l2.diffID]);
    const r1 = await sn.unpack(c1, null, streamOf(l1.tar));
    assert.equal(r1.diffID, l1.diffID);
    await sn.unpack(c2, c1, streamOf(l2.tar));
    return [c1, c2];
  }

  /** What the two layers give when applied one after the other onto a plain directory. */
  async function expectedMerged(): Promise<string> {
    const [l1, l2] = await Promise.all([L1, L2]);
    const d = join(s.dir, `expect${n++}`);
    await applyLayer(d, streamOf(l1.tar));
    await applyLayer(d, streamOf(l2.tar));
    return listing(d, false);
  }

  test(`${driver}: driver is the one asked for, and a root keeps its driver`, { skip }, () => {
    const sn = fresh();
    assert.equal(sn.driver, driver);
    const root = join(sn.dir, '..');
    assert.equal(Snapshotter.open(root).driver, driver);
    assert.throws(() => Snapshotter.open(root, { driver: driver === 'overlay' ? 'copy' : 'overlay' }), (e: unknown) => isTugError(e, 'CONFLICT'));
  });

  test(`${driver}: unpack layers by chainID, mount a view: whiteouts and opaque dirs applied`, { skip }, async () => {
    const sn = fresh();
    const [, c2] = await unpackBoth(sn);
    assert.equal(await sn.has(c2), true);
    await sn.view('v', c2);
    const t = target();
    await sn.mount('v', t);
    try {
      assert.equal(listing(t, false), await expectedMerged());
      assert.deepEqual(readdirSync(join(t, 'var/cache')), ['new']);
      assert.equal(existsSync(join(t, 'etc/motd')), false);
      assert.throws(() => writeFileSync(join(t, 'x'), 'x'), /EROFS|read-only/);
    } finally {
      await sn.unmount(t);
    }
    await sn.unmount(t); // idempotent
    assert.equal(mountPoints().includes(t), false);
    await sn.remove('v');
  });

  test(`${driver}: unpack is idempotent and checks the chainID`, { skip }, async () => {
    const sn = fresh();
    const [l1, l2] = await Promise.all([L1, L2]);
    const c1 = chainID([l1.diffID]);
    await sn.unpack(c1, null, streamOf(l1.tar));
    const again = streamOf(l1.tar);
    const r = await sn.unpack(c1, null, again);
    assert.equal(r.diffID, l1.diffID);
    assert.equal(again.destroyed, true);
    const wrong = chainID([l1.diffID, l1.diffID]);
    await assert.rejects(sn.unpack(wrong, c1, streamOf(l2.tar)), (e: unknown) => isTugError(e, 'DIGEST_MISMATCH'));
    assert.equal(await sn.has(wrong), false);
    assert.deepEqual(readdirSync(join(sn.dir, 'tmp')), []);
    // a corrupt layer leaves nothing behind either
    await assert.rejects(sn.unpack(wrong, c1, streamOf(l2.tar.subarray(0, 1000))), (e: unknown) => isTugError(e, 'INVALID_ARCHIVE'));
    assert.deepEqual(readdirSync(join(sn.dir, 'tmp')), []);
  });

  test(`${driver}: prepare, write, changes as docker diff, diff, commit, view the commit`, { skip }, async () => {
    const sn = fresh();
    const [, c2] = await unpackBoth(sn);
    await sn.prepare('c', c2);
    const t = target();
    await sn.mount('c', t);
    try {
      writeFileSync(join(t, 'etc/hosts'), 'changed\n');
      writeFileSync(join(t, 'usr/new-file'), 'n');
      mkdirSync(join(t, 'tmp/a/b'), { recursive: true });
      rmSync(join(t, 'bin/tool'));
      rmSync(join(t, 'var/cache'), { recursive: true });
      chmodSync(join(t, 'usr/added'), 0o600);
      // a directory removed and made again (overlayfs marks it opaque)
      rmSync(join(t, 'opt/old'), { recursive: true });
      mkdirSync(join(t, 'opt/old'));
      writeFileSync(join(t, 'opt/old/b'), 'b');
    } finally {
      await sn.unmount(t);
    }
    // docker diff: parents of changes are C, a new directory and its contents are A, deletions D
    assert.deepEqual(await sn.changes('c'), [
      { kind: 'C', path: '/bin' },
      { kind: 'D', path: '/bin/tool' },
      { kind: 'C', path: '/etc' },
      { kind: 'C', path: '/etc/hosts' },
      { kind: 'C', path: '/opt' },
      { kind: 'C', path: '/opt/old' },
      { kind: 'D', path: '/opt/old/a' },
      { kind: 'A', path: '/opt/old/b' },
      { kind: 'A', path: '/tmp' },
      { kind: 'A', path: '/tmp/a' },
      { kind: 'A', path: '/tmp/a/b' },
      { kind: 'C', path: '/usr' },
      { kind: 'C', path: '/usr/added' },
      { kind: 'A', path: '/usr/new-file' },
      { kind: 'C', path: '/var' },
      { kind: 'D', path: '/var/cache' },
    ]);
    // the diff is an OCI layer: applied onto the parent's tree it gives the container's tree
    const diffTar = join(s.dir, `diff${n++}.tar`);
    await pipeline(sn.diff('c', { sourceDateEpoch: 0 }), createWriteStream(diffTar));
    const names: string[] = [];
    const reader = new TarReader(createReadStream(diffTar));
    for await (const e of reader.entries()) {
      names.push(e.header.name);
      for (const k of e.header.xattrs.keys()) assert.ok(!k.startsWith('trusted.overlay.'), `${e.header.name} carries ${k}`);
    }
    assert.ok(names.includes('bin/.wh.tool') && names.includes('var/.wh.cache') && names.includes('etc/hosts'), names.join(' '));
    const merged = join(s.dir, `m${n++}`);
    const [l1, l2] = await Promise.all([L1, L2]);
    await applyLayer(merged, streamOf(l1.tar));
    await applyLayer(merged, streamOf(l2.tar));
    await applyLayer(merged, createReadStream(diffTar));
    const diffID = reader.stats.diffID;
    const c3 = chainID([l1.diffID, l2.diffID, diffID]);
    await sn.commit('c', c3, { diffID, size: reader.stats.size });
    assert.equal(await sn.has(c3), true);
    await assert.rejects(sn.changes('c'), (e: unknown) => isTugError(e, 'NOT_FOUND'));
    await sn.view('v3', c3);
    const t3 = target();
    await sn.mount('v3', t3);
    try {
      assert.equal(listing(t3, false), listing(merged, false));
      assert.equal(readFileSync(join(t3, 'etc/hosts'), 'utf8'), 'changed\n');
    } finally {
      await sn.unmount(t3);
    }
    await sn.remove('v3');
  });

  test(`${driver}: removeCommitted is refused while children exist`, { skip }, async () => {
    const sn = fresh();
    const [c1, c2] = await unpackBoth(sn);
    await sn.prepare('active', c2);
    await assert.rejects(sn.removeCommitted(c2), (e: unknown) => isTugError(e, 'CONFLICT'));
    await assert.rejects(sn.removeCommitted(c1), (e: unknown) => isTugError(e, 'CONFLICT'));
    await sn.remove('active');
    await sn.removeCommitted(c2);
    await sn.removeCommitted(c1);
    assert.equal(await sn.has(c1), false);
    const left = readdirSync(sn.dir).filter((x) => !['l', 'tmp', 'empty', 'driver'].includes(x));
    assert.deepEqual(left, []);
    assert.deepEqual(readdirSync(join(sn.dir, 'l')), []);
  });

  test(`${driver}: prepare on no parent, usage, and a failed mount leaves no mount behind`, { skip }, async () => {
    const sn = fresh();
    await sn.prepare('scratch', null);
    const t = target();
    await sn.mount('scratch', t);
    try {
      writeFileSync(join(t, 'big'), Buffer.alloc(64 * 1024, 1));
    } finally {
      await sn.unmount(t);
    }
    const u = await sn.usage('scratch');
    assert.ok(u.size >= 64 * 1024, String(u.size));
    assert.equal(u.inodes, 1);
    assert.deepEqual(await sn.changes('scratch'), [{ kind: 'A', path: '/big' }]);
    const before = mountPoints().length;
    await assert.rejects(sn.mount('scratch', join(s.dir, 'does-not-exist')));
    assert.equal(mountPoints().length, before);
    await sn.remove('scratch');
  });

  test(`${driver}: two processes unpacking the same layer end with one snapshot`, { skip: skip || (!haveBusybox() && 'no busybox tarball') }, async () => {
    const root = join(s.dir, `race${n++}`);
    Snapshotter.open(root, { driver });
    const diffID = sha(readFileSync(BUSYBOX_TAR));
    const script = `
      import { createReadStream } from 'node:fs';
      import { Snapshotter } from '${join(PROJECT, 'dist/src/snapshot/index.js').replace(/\\/g, '/')}';
      const sn = Snapshotter.open(process.argv[1]);
      const r = await sn.unpack(process.argv[2], null, createReadStream(process.argv[3]));
      console.log(r.diffID);`;
    const runOne = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script, root, diffID, BUSYBOX_TAR], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b));
        c.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`unpack process exited ${code}`))));
      });
    const outs = await Promise.all([runOne(), runOne(), runOne()]);
    assert.deepEqual(outs, [diffID, diffID, diffID]);
    const sn = Snapshotter.open(root, { driver });
    assert.equal(await sn.has(diffID), true);
    assert.deepEqual(readdirSync(join(sn.dir, 'tmp')), []);
    assert.equal(readdirSync(join(sn.dir, 'l')).length, 1);
    await sn.view('v', diffID);
    const t = target();
    await sn.mount('v', t);
    try {
      assert.ok(existsSync(join(t, 'bin/busybox')));
    } finally {
      await sn.unmount(t);
    }
  });
}

/**
 * overlay only: the kernel's 500 lower layers fit mount(8)'s 4096-byte option
 * string thanks to the l/ names. Call after snapshotterSuite() in the same
 * file: that suite holds the integration lock until the file's tests end.
 */
export function manyLayersTest(): void {
  test('overlay: 500 layers mount (lowerdir of short link names), 501 are refused with a clear error', { skip: !isRoot && 'needs root (mounts)' }, async () => {
    const s = scratch('tug-snap-many-');
    try {
      const sn = Snapshotter.open(join(s.dir, 'root'), { driver: 'overlay' });
      const diffIDs: string[] = [];
      let parent: string | null = null;
      for (let i = 0; i < 501; i++) {
        const tar = await craftTar([{ name: `f${i}`, body: String(i) }]);
        diffIDs.push(sha(tar));
        const c = chainID(diffIDs);
        await sn.unpack(c, parent, streamOf(tar));
        parent = c;
        if (i === 499) await sn.prepare('top500', c);
      }
      await sn.prepare('top501', parent);
      const spec = sn.mountSpec('top500');
      const absolute = diffIDs.length * (sn.dir.length + 68); // what absolute lowerdir paths would need
      assert.ok(absolute > 4096 && spec.options.join(',').length < 4096, `${absolute} vs ${spec.options.join(',').length}`);
      const t = join(s.dir, 'mnt');
      mkdirSync(t);
      await sn.mount('top500', t);
      try {
        assert.equal(readdirSync(t).length, 500);
        assert.equal(readFileSync(join(t, 'f0'), 'utf8'), '0');
        assert.equal(readFileSync(join(t, 'f499'), 'utf8'), '499');
      } finally {
        await sn.unmount(t);
      }
      await assert.rejects(sn.mount('top501', t), (e: unknown) => isTugError(e, 'UNSUPPORTED') && /at most 500/.test((e as Error).message));
      assert.equal(mountPoints().includes(t), false);
    } finally {
      s.cleanup();
    }
  });
}
