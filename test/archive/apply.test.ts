import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { getAttributeSync, setAttributeSync, listAttributesSync } from '@napi-rs/xattr';
import { applyLayer } from '../../src/archive/index.js';
import { isTugError } from '../../src/util/errors.js';
import { BUSYBOX_TAR, haveBusybox } from '../helpers.js';
import { craftTar, isRoot, listing, scratch, streamOf } from './fixtures.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function rejectsInvalid(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isTugError(e, 'INVALID_ARCHIVE'), `expected INVALID_ARCHIVE, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('applies the busybox rootfs exactly as GNU tar extracts it; diffID is the sha256 of the tar', { skip: !haveBusybox() && 'no busybox tarball' }, async () => {
  const s = scratch();
  try {
    mkdirSync(`${s.dir}/mine`);
    mkdirSync(`${s.dir}/gnu`);
    const r = await applyLayer(`${s.dir}/mine`, createReadStream(BUSYBOX_TAR));
    execFileSync('tar', ['-xpf', BUSYBOX_TAR, '-C', `${s.dir}/gnu`, '--numeric-owner']);
    assert.equal(listing(`${s.dir}/mine`), listing(`${s.dir}/gnu`));
    const bytes = readFileSync(BUSYBOX_TAR);
    assert.equal(r.diffID, sha(bytes));
    assert.equal(r.size, bytes.length);
  } finally {
    s.cleanup();
  }
});

test('path traversal with .. is refused and nothing lands outside', async () => {
  for (const name of ['../evil', 'a/../../evil', './../evil']) {
    const s = scratch();
    try {
      mkdirSync(`${s.dir}/root`);
      const t = await craftTar([{ name: 'ok', body: 'x' }, { name, body: 'pwned' }]);
      await rejectsInvalid(applyLayer(`${s.dir}/root`, streamOf(t)), /outside the root/);
      assert.equal(existsSync(`${s.dir}/evil`), false, name);
    } finally {
      s.cleanup();
    }
  }
});

test('absolute entry names stay inside the root', async () => {
  const s = scratch();
  try {
    const marker = `/tmp/tug-abs-${process.pid}-${Date.now()}`;
    const t = await craftTar([{ name: `${marker}/f`, body: 'in' }]);
    await applyLayer(`${s.dir}/root`, streamOf(t));
    assert.equal(existsSync(marker), false);
    assert.equal(readFileSync(`${s.dir}/root${marker}/f`, 'utf8'), 'in');
  } finally {
    s.cleanup();
  }
});

test('symlinked parent directories are resolved inside the root, never followed out', async () => {
  const s = scratch();
  try {
    const outside = `${s.dir}/outside`;
    mkdirSync(outside);
    const t = await craftTar([
      { name: 'abs', type: 'symlink', linkname: outside },
      { name: 'rel', type: 'symlink', linkname: '../../../../../..' + outside },
      { name: 'up', type: 'symlink', linkname: '..' },
      { name: 'abs/a', body: 'A' },
      { name: 'rel/b', body: 'B' },
      { name: 'up/c', body: 'C' },
    ]);
    await applyLayer(`${s.dir}/root`, streamOf(t));
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(existsSync(`${s.dir}/c`), false);
    // chroot semantics: the links point at root/<outside> and root itself
    assert.equal(readFileSync(`${s.dir}/root${outside}/a`, 'utf8'), 'A');
    assert.equal(readFileSync(`${s.dir}/root${outside}/b`, 'utf8'), 'B');
    assert.equal(readFileSync(`${s.dir}/root/c`, 'utf8'), 'C');
    assert.equal(readlinkSync(`${s.dir}/root/abs`), outside); // the symlink itself is kept as written
  } finally {
    s.cleanup();
  }
});

test('a symlink already in the tree (lower layer) does not lead outside either', async () => {
  const s = scratch();
  try {
    const outside = `${s.dir}/outside`;
    mkdirSync(outside);
    mkdirSync(`${s.dir}/root`);
    symlinkSync(outside, `${s.dir}/root/etc`);
    await applyLayer(`${s.dir}/root`, streamOf(await craftTar([{ name: 'etc/passwd', body: 'root::0:0' }])));
    assert.deepEqual(readdirSync(outside), []);
    assert.equal(readFileSync(`${s.dir}/root${outside}/passwd`, 'utf8'), 'root::0:0');
  } finally {
    s.cleanup();
  }
});

test('a file entry replaces a symlink instead of writing through it', async () => {
  const s = scratch();
  try {
    writeFileSync(`${s.dir}/victim`, 'safe');
    const t = await craftTar([
      { name: 'f', type: 'symlink', linkname: `${s.dir}/victim` },
      { name: 'f', body: 'new' },
    ]);
    await applyLayer(`${s.dir}/root`, streamOf(t));
    assert.equal(readFileSync(`${s.dir}/victim`, 'utf8'), 'safe');
    assert.ok(lstatSync(`${s.dir}/root/f`).isFile());
  } finally {
    s.cleanup();
  }
});

test('hardlinks to outside the root are refused', async () => {
  const s = scratch();
  try {
    writeFileSync(`${s.dir}/secret`, 'secret');
    await rejectsInvalid(applyLayer(`${s.dir}/r1`, streamOf(await craftTar([{ name: 'h', type: 'link', linkname: '../secret' }]))), /outside the root/);
    // through a symlinked directory: resolved inside the root, where there is no such file
    const t = await craftTar([
      { name: 'l', type: 'symlink', linkname: s.dir },
      { name: 'h', type: 'link', linkname: 'l/secret' },
    ]);
    await rejectsInvalid(applyLayer(`${s.dir}/r2`, streamOf(t)), /not in the layer/);
    assert.equal(lstatSync(`${s.dir}/secret`).nlink, 1);
  } finally {
    s.cleanup();
  }
});

test('hardlinks inside the layer share the inode', async () => {
  const s = scratch();
  try {
    const t = await craftTar([{ name: 'a', body: 'data' }, { name: 'dir/b', type: 'link', linkname: 'a' }]);
    await applyLayer(`${s.dir}/r`, streamOf(t));
    assert.equal(lstatSync(`${s.dir}/r/a`).ino, lstatSync(`${s.dir}/r/dir/b`).ino);
  } finally {
    s.cleanup();
  }
});

test('setuid/setgid/sticky bits, numeric owners and mtimes are applied', async () => {
  const s = scratch();
  try {
    const t = await craftTar([
      { name: 'd', type: 'directory', mode: 0o1777, mtime: new Date(1_000_000_000_000) },
      { name: 'd/suid', body: '#!/bin/sh', mode: 0o4755, uid: 1234, gid: 5678, mtime: new Date(1_234_567_890_000) },
      { name: 'sgid', body: 'x', mode: 0o2711 },
      { name: 'lnk', type: 'symlink', linkname: 'sgid', uid: 42, gid: 43, mtime: new Date(1_111_111_111_000) },
    ]);
    await applyLayer(`${s.dir}/r`, streamOf(t));
    const st = lstatSync(`${s.dir}/r/d/suid`);
    assert.equal(st.mode & 0o7777, 0o4755);
    assert.equal(st.mtimeMs, 1_234_567_890_000);
    assert.equal(lstatSync(`${s.dir}/r/sgid`).mode & 0o7777, 0o2711);
    const d = lstatSync(`${s.dir}/r/d`);
    assert.equal(d.mode & 0o7777, 0o1777);
    assert.equal(d.mtimeMs, 1_000_000_000_000); // set after its child was written
    assert.equal(lstatSync(`${s.dir}/r/lnk`).mtimeMs, 1_111_111_111_000);
    if (isRoot) {
      assert.deepEqual([st.uid, st.gid], [1234, 5678]);
      assert.deepEqual([lstatSync(`${s.dir}/r/lnk`).uid, lstatSync(`${s.dir}/r/lnk`).gid], [42, 43]);
    }
  } finally {
    s.cleanup();
  }
});

test('device nodes are created when root and skipped otherwise', async (t) => {
  const s = scratch();
  try {
    const tarball = await craftTar([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop9', type: 'block-device', devmajor: 7, devminor: 9, mode: 0o660 },
      { name: 'dev/fifo', type: 'fifo', mode: 0o600 },
    ]);
    const warnings: string[] = [];
    await applyLayer(`${s.dir}/skip`, streamOf(tarball), { devices: false, onWarning: (m) => warnings.push(m) });
    assert.equal(existsSync(`${s.dir}/skip/dev/null`), false);
    assert.equal(warnings.length, 2);
    assert.ok(lstatSync(`${s.dir}/skip/dev/fifo`).isFIFO());
    if (!isRoot) return t.skip('needs root for device nodes');
    await applyLayer(`${s.dir}/root`, streamOf(tarball));
    const out = execFileSync('stat', ['-c', '%F %t:%T %a', `${s.dir}/root/dev/null`, `${s.dir}/root/dev/loop9`], { encoding: 'utf8' });
    assert.equal(out, 'character special file 1:3 666\nblock special file 7:9 660\n');
  } finally {
    s.cleanup();
  }
});

test('PAX long names and GNU long names', async () => {
  const s = scratch();
  try {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const linkTarget = `${'t'.repeat(140)}/x`;
    const t = await craftTar([{ name: long, body: 'pax' }, { name: 'sym', type: 'symlink', linkname: linkTarget }]);
    await applyLayer(`${s.dir}/pax`, streamOf(t));
    assert.equal(readFileSync(`${s.dir}/pax/${long}`, 'utf8'), 'pax');
    assert.equal(readlinkSync(`${s.dir}/pax/sym`), linkTarget);
    // GNU tar's ././@LongLink records
    mkdirSync(`${s.dir}/src/${'g'.repeat(120)}`, { recursive: true });
    writeFileSync(`${s.dir}/src/${'g'.repeat(120)}/${'h'.repeat(130)}`, 'gnu');
    const gnu = execFileSync('tar', ['--format=gnu', '-cf', '-', '-C', `${s.dir}/src`, '.']);
    assert.ok(gnu.includes('././@LongLink'));
    await applyLayer(`${s.dir}/gnu`, streamOf(gnu));
    assert.equal(readFileSync(`${s.dir}/gnu/${'g'.repeat(120)}/${'h'.repeat(130)}`, 'utf8'), 'gnu');
  } finally {
    s.cleanup();
  }
});

test('PAX xattrs: user.* from tar-stream, binary security.capability from GNU tar; trusted.overlay.* is dropped', async (t) => {
  const s = scratch();
  try {
    const tarball = await craftTar([
      { name: 'f', body: 'x', pax: { 'SCHILY.xattr.user.comment': 'hello world', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
    ]);
    await applyLayer(`${s.dir}/a`, streamOf(tarball));
    assert.equal(getAttributeSync(`${s.dir}/a/f`, 'user.comment')?.toString(), 'hello world');
    assert.deepEqual(listAttributesSync(`${s.dir}/a/f`).filter((n) => n.startsWith('trusted.')), []);
    if (!isRoot) return t.skip('needs root for security.capability');
    // cap_net_bind_service+ep as a VFS_CAP_REVISION_2 struct: not valid UTF-8, must survive byte for byte
    const cap = Buffer.from('0100000200040000000000000000000000000000', 'hex');
    mkdirSync(`${s.dir}/src`);
    writeFileSync(`${s.dir}/src/ping`, 'bin', { mode: 0o755 });
    setAttributeSync(`${s.dir}/src/ping`, 'security.capability', cap);
    const gnu = execFileSync('tar', ['--xattrs', "--xattrs-include=*", '--format=posix', '-cf', '-', '-C', `${s.dir}/src`, 'ping']);
    await applyLayer(`${s.dir}/b`, streamOf(gnu));
    assert.deepEqual(getAttributeSync(`${s.dir}/b/ping`, 'security.capability'), cap);
    assert.equal(lstatSync(`${s.dir}/b/ping`).mode & 0o777, 0o755);
  } finally {
    s.cleanup();
  }
});

test("OCI whiteouts in 'delete' mode: files, directories, opaque dirs; never this layer's own entries", async () => {
  const s = scratch();
  try {
    const lower = await craftTar([
      { name: 'keep', body: '1' },
      { name: 'gone', body: '1' },
      { name: 'gonedir/x', body: '1' },
      { name: 'opq/old', body: '1' },
      { name: 'opq/olddir/y', body: '1' },
    ]);
    await applyLayer(`${s.dir}/r`, streamOf(lower));
    const upper = await craftTar([
      { name: '.wh.gone' },
      { name: '.wh.gonedir' },
      { name: 'opq/', type: 'directory' },
      { name: 'opq/new', body: '2' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'same', body: '3' },
      { name: '.wh.same' },
      { name: '.wh.never-existed' },
    ]);
    await applyLayer(`${s.dir}/r`, streamOf(upper));
    assert.deepEqual(readdirSync(`${s.dir}/r`).sort(), ['keep', 'opq', 'same']);
    assert.deepEqual(readdirSync(`${s.dir}/r/opq`), ['new']);
  } finally {
    s.cleanup();
  }
});

test("OCI whiteouts in 'overlay' mode become 0/0 char devices and trusted.overlay.opaque", async (t) => {
  if (!isRoot) return t.skip('needs root (mknod, trusted.* xattrs)');
  const s = scratch();
  try {
    const upper = await craftTar([{ name: 'etc/.wh.motd' }, { name: 'var/', type: 'directory' }, { name: 'var/.wh..wh..opq' }, { name: 'var/new', body: 'n' }]);
    await applyLayer(`${s.dir}/layer`, streamOf(upper), { whiteouts: 'overlay' });
    assert.equal(execFileSync('stat', ['-c', '%F %t:%T', `${s.dir}/layer/etc/motd`], { encoding: 'utf8' }), 'character special file 0:0\n');
    assert.equal(getAttributeSync(`${s.dir}/layer/var`, 'trusted.overlay.opaque')?.toString(), 'y');
    assert.deepEqual(readdirSync(`${s.dir}/layer/var`), ['new']);
  } finally {
    s.cleanup();
  }
});

test('compression is sniffed from magic bytes: gzip and zstd; diffID is of the uncompressed tar', async () => {
  const s = scratch();
  try {
    const plain = await craftTar([{ name: 'hello', body: 'hello world\n'.repeat(1000) }]);
    const gz = gzipSync(plain);
    const r1 = await applyLayer(`${s.dir}/gz`, streamOf(gz));
    assert.equal(r1.diffID, sha(plain));
    assert.equal(readFileSync(`${s.dir}/gz/hello`, 'utf8').length, 12000);
    const zst = execFileSync('zstd', ['-c', '-q'], { input: plain });
    const r2 = await applyLayer(`${s.dir}/zst`, streamOf(zst));
    assert.equal(r2.diffID, sha(plain));
    assert.equal(r2.size, plain.length);
  } finally {
    s.cleanup();
  }
});

test('corrupt and truncated input fail with INVALID_ARCHIVE', async () => {
  const s = scratch();
  try {
    const plain = await craftTar([{ name: 'a', body: randomBytes(5000) }, { name: 'b', body: 'y' }]);
    const badSum = Buffer.from(plain);
    badSum[10] ^= 0xff; // inside the first header's name
    await rejectsInvalid(applyLayer(`${s.dir}/1`, streamOf(badSum)), /checksum/);
    await rejectsInvalid(applyLayer(`${s.dir}/2`, streamOf(plain.subarray(0, 2000))), /truncated/);
    await rejectsInvalid(applyLayer(`${s.dir}/3`, streamOf(plain.subarray(0, 512 * 12))), /truncated/); // stops after a whole entry
    await rejectsInvalid(applyLayer(`${s.dir}/4`, streamOf(gzipSync(plain).subarray(0, 300))), /gzip/);
    await rejectsInvalid(applyLayer(`${s.dir}/5`, streamOf(Buffer.from('this is not a tar file at all'.repeat(40)))), /checksum|truncated|corrupt/);
  } finally {
    s.cleanup();
  }
});

test('batched device nodes and whiteouts: a repeated name keeps the last entry, large batches, metadata applied', async (t) => {
  if (!isRoot) return t.skip('needs root (mknod)');
  const s = scratch();
  try {
    const tarball = await craftTar([
      { name: 'dev/a', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o600 },
      { name: 'dev/a', type: 'character-device', devmajor: 1, devminor: 5, mode: 0o640, uid: 7, gid: 8, mtime: new Date(1_000_000_000_000) },
      { name: 'dev/p', type: 'fifo', mode: 0o620 },
      { name: 'dev/after', body: 'x' },
    ]);
    await applyLayer(`${s.dir}/d`, streamOf(tarball));
    assert.equal(
      execFileSync('stat', ['-c', '%F %t:%T %a %u:%g %Y', `${s.dir}/d/dev/a`, `${s.dir}/d/dev/p`], { encoding: 'utf8' }),
      'character special file 1:5 640 7:8 1000000000\nfifo 0:0 620 0:0 1600000000\n',
    );
    const whiteouts = Array.from({ length: 300 }, (_, i) => ({ name: `etc/.wh.f${i}` }));
    await applyLayer(`${s.dir}/o`, streamOf(await craftTar(whiteouts)), { whiteouts: 'overlay' });
    const names = readdirSync(`${s.dir}/o/etc`);
    assert.equal(names.length, 300);
    assert.equal(execFileSync('stat', ['-c', '%F %t:%T', `${s.dir}/o/etc/f299`], { encoding: 'utf8' }), 'character special file 0:0\n');
  } finally {
    s.cleanup();
  }
});

test('entries that contradict each other fail as INVALID_ARCHIVE, not as a crash', async () => {
  const s = scratch();
  try {
    // a hardlink whose target the entry itself replaces, then a file under a file
    const t1 = await craftTar([{ name: 'd/x', body: '1' }, { name: 'd', type: 'link', linkname: 'd/x' }]);
    await rejectsInvalid(applyLayer(`${s.dir}/1`, streamOf(t1)), /cannot apply entry "d"/);
    const t2 = await craftTar([{ name: 'f', body: '1' }, { name: 'f/g', body: '2' }]);
    await rejectsInvalid(applyLayer(`${s.dir}/2`, streamOf(t2)), /not a directory/);
  } finally {
    s.cleanup();
  }
});

test('bzip2 and xz layers are refused with a clear error', async () => {
  const s = scratch();
  try {
    const plain = await craftTar([{ name: 'a', body: 'x' }]);
    for (const [tool, name] of [['bzip2', 'bzip2'], ['xz', 'xz']] as const) {
      if (!existsSync(`/usr/bin/${tool}`)) continue; // the tool only makes the input
      const packed = execFileSync(tool, ['-c'], { input: plain });
      await assert.rejects(applyLayer(`${s.dir}/${tool}`, streamOf(packed)), (e: unknown) => isTugError(e, 'UNSUPPORTED') && new RegExp(`${name}-compressed`).test((e as Error).message));
    }
  } finally {
    s.cleanup();
  }
});

test('an old-style directory (regular-file type, trailing slash) is a directory', async () => {
  const s = scratch();
  try {
    await applyLayer(`${s.dir}/r`, streamOf(await craftTar([{ name: 'olddir/', type: 'file', mode: 0o755 }, { name: 'olddir/f', body: 'x' }])));
    assert.ok(lstatSync(`${s.dir}/r/olddir`).isDirectory());
    assert.equal(readFileSync(`${s.dir}/r/olddir/f`, 'utf8'), 'x');
  } finally {
    s.cleanup();
  }
});
