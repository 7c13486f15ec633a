import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lutimesSync, createReadStream, createWriteStream, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getAttributeSync, setAttributeSync } from '@napi-rs/xattr';
import { applyLayer, chainID, chainIDs, tarDiff, tarDirectory, writeLayer } from '../../src/archive/index.js';
import { BUSYBOX_TAR, haveBusybox } from '../helpers.js';
import { isRoot, listing, scratch } from './fixtures.js';

async function toFile(stream: Readable, path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(stream, async function* (src: AsyncIterable<Buffer>) {
    for await (const c of src) {
      h.update(c);
      yield c;
    }
  }, createWriteStream(path));
  return `sha256:${h.digest('hex')}`;
}

function makeTree(dir: string, order: 'forward' | 'backward', mtime: number): void {
  const files = ['b/z', 'a', 'b/y/x', 'c'];
  mkdirSync(`${dir}/b/y`, { recursive: true });
  for (const f of order === 'forward' ? files : [...files].reverse()) writeFileSync(`${dir}/${f}`, `content of ${f}\n`);
  chmodSync(`${dir}/a`, 0o4755);
  symlinkSync('a', `${dir}/link`);
  linkSync(`${dir}/c`, `${dir}/b/hard`);
  setAttributeSync(`${dir}/c`, 'user.k', 'v');
  for (const p of ['b/z', 'a', 'b/y/x', 'c', 'b/y', 'b', '']) utimesSync(`${dir}/${p}`, mtime, mtime);
  lutimesSync(`${dir}/link`, mtime, mtime);
}

test('the same tree gives the same digest whatever the creation order and times above SOURCE_DATE_EPOCH', async () => {
  const s = scratch();
  try {
    makeTree(`${s.dir}/t1`, 'forward', 1_700_000_000);
    makeTree(`${s.dir}/t2`, 'backward', 1_750_000_000);
    const d1 = await toFile(tarDirectory(`${s.dir}/t1`, { sourceDateEpoch: 1_600_000_000 }), `${s.dir}/1.tar`);
    const d2 = await toFile(tarDirectory(`${s.dir}/t2`, { sourceDateEpoch: 1_600_000_000 }), `${s.dir}/2.tar`);
    const d3 = await toFile(tarDirectory(`${s.dir}/t1`, { sourceDateEpoch: 1_600_000_000 }), `${s.dir}/3.tar`);
    assert.equal(d1, d2);
    assert.equal(d1, d3);
    // without clamping the times differ, so must the digest
    const d4 = await toFile(tarDirectory(`${s.dir}/t2`), `${s.dir}/4.tar`);
    assert.notEqual(d1, d4);
    // what GNU tar sees: sorted, numeric owners, no user names, a hardlink, clamped times
    const tv = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', `${s.dir}/1.tar`], { encoding: 'utf8' });
    const names = tv.trim().split('\n').map((l) => l.split(/\s+/).slice(5).join(' '));
    assert.deepEqual(names, ['a', 'b/', 'b/hard', 'b/y/', 'b/y/x', 'b/z', 'c link to b/hard', 'link -> a']);
    assert.match(tv, /^-rwsr-xr-x 0\/0 .* 2020-09-13 12:26:40 a$/m);
    assert.doesNotMatch(tv, /root/);
  } finally {
    s.cleanup();
  }
});

test('round trip: tarDirectory then applyLayer (and GNU tar) reproduce the tree, xattrs and hardlinks included', async () => {
  const s = scratch();
  try {
    makeTree(`${s.dir}/src`, 'forward', 1_700_000_000);
    await toFile(tarDirectory(`${s.dir}/src`), `${s.dir}/t.tar`);
    await applyLayer(`${s.dir}/mine`, createReadStream(`${s.dir}/t.tar`));
    mkdirSync(`${s.dir}/gnu`);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', `${s.dir}/t.tar`, '-C', `${s.dir}/gnu`]);
    const expected = listing(`${s.dir}/src`);
    assert.equal(listing(`${s.dir}/mine`), expected);
    assert.equal(listing(`${s.dir}/gnu`), expected);
    assert.equal(getAttributeSync(`${s.dir}/mine/c`, 'user.k')?.toString(), 'v');
    assert.equal(getAttributeSync(`${s.dir}/gnu/c`, 'user.k')?.toString(), 'v');
    assert.equal(lstatSync(`${s.dir}/mine/c`).ino, lstatSync(`${s.dir}/mine/b/hard`).ino);
  } finally {
    s.cleanup();
  }
});

test('round trip of the busybox rootfs', { skip: !haveBusybox() && 'no busybox tarball' }, async () => {
  const s = scratch();
  try {
    await applyLayer(`${s.dir}/a`, createReadStream(BUSYBOX_TAR));
    await toFile(tarDirectory(`${s.dir}/a`), `${s.dir}/t.tar`);
    await applyLayer(`${s.dir}/b`, createReadStream(`${s.dir}/t.tar`));
    assert.equal(listing(`${s.dir}/b`), listing(`${s.dir}/a`));
  } finally {
    s.cleanup();
  }
});

test('tarDiff applied onto the lower tree gives the upper tree', async () => {
  const s = scratch();
  try {
    makeTree(`${s.dir}/lower`, 'forward', 1_700_000_000);
    mkdirSync(`${s.dir}/lower/deldir/sub`, { recursive: true });
    writeFileSync(`${s.dir}/lower/deldir/sub/f`, 'x');
    writeFileSync(`${s.dir}/lower/typechange`, 'file');
    execFileSync('cp', ['-a', `${s.dir}/lower`, `${s.dir}/upper`]);
    writeFileSync(`${s.dir}/upper/b/y/x`, 'changed content, same dir\n');
    writeFileSync(`${s.dir}/upper/b/new`, 'new\n');
    rmSync(`${s.dir}/upper/b/z`);
    rmSync(`${s.dir}/upper/deldir`, { recursive: true });
    rmSync(`${s.dir}/upper/typechange`);
    mkdirSync(`${s.dir}/upper/typechange/inner`, { recursive: true });
    chmodSync(`${s.dir}/upper/a`, 0o700);
    utimesSync(`${s.dir}/upper/b`, 1_700_000_000, 1_700_000_000);
    await toFile(tarDiff(`${s.dir}/lower`, `${s.dir}/upper`), `${s.dir}/d.tar`);
    const names = execFileSync('tar', ['-tf', `${s.dir}/d.tar`], { encoding: 'utf8' }).trim().split('\n');
    // parents first; a whiteout sits where the deleted name sorted
    assert.deepEqual(names, ['a', 'b/', 'b/new', 'b/y/', 'b/y/x', 'b/.wh.z', '.wh.deldir', 'typechange/', 'typechange/inner/']);
    execFileSync('cp', ['-a', `${s.dir}/lower`, `${s.dir}/applied`]);
    await applyLayer(`${s.dir}/applied`, createReadStream(`${s.dir}/d.tar`));
    assert.equal(listing(`${s.dir}/applied`, false), listing(`${s.dir}/upper`, false));
    assert.equal(readFileSync(`${s.dir}/applied/b/y/x`, 'utf8'), 'changed content, same dir\n');
  } finally {
    s.cleanup();
  }
});

test('writeLayer: gzip and zstd blob digests and diffID agree with gzip(1), zstd(1) and sha256sum(1)', async () => {
  const s = scratch();
  try {
    makeTree(`${s.dir}/t`, 'forward', 1_700_000_000);
    const out = createWriteStream(`${s.dir}/blob.gz`);
    const r = await writeLayer(tarDirectory(`${s.dir}/t`), out);
    const blobSum = execFileSync('sha256sum', [`${s.dir}/blob.gz`], { encoding: 'utf8' }).split(' ')[0];
    const tarSum = execFileSync('sh', ['-c', `gzip -dc '${s.dir}/blob.gz' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(r.digest, `sha256:${blobSum}`);
    assert.equal(r.diffID, `sha256:${tarSum}`);
    assert.equal(r.size, lstatSync(`${s.dir}/blob.gz`).size);
    const plain = await writeLayer(tarDirectory(`${s.dir}/t`), new Writable({ write: (_c, _e, cb) => cb() }), { compression: 'none' });
    assert.equal(plain.digest, r.diffID);
    const z = await writeLayer(tarDirectory(`${s.dir}/t`), createWriteStream(`${s.dir}/blob.zst`), { compression: 'zstd' });
    assert.equal(z.diffID, r.diffID);
    const zSum = execFileSync('sh', ['-c', `zstd -dcq '${s.dir}/blob.zst' | sha256sum`], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(z.diffID, `sha256:${zSum}`);
    assert.equal(z.digest, `sha256:${execFileSync('sha256sum', [`${s.dir}/blob.zst`], { encoding: 'utf8' }).split(' ')[0]}`);
  } finally {
    s.cleanup();
  }
});

test('chainID follows the OCI image spec formula', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  const c = `sha256:${'c'.repeat(64)}`;
  const ab = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
  const abc = `sha256:${createHash('sha256').update(`${ab} ${c}`).digest('hex')}`;
  assert.equal(chainID([a]), a);
  assert.equal(chainID([a, b]), ab);
  assert.equal(chainID([a, b, c]), abc);
  assert.deepEqual(chainIDs([a, b, c]), [a, ab, abc]);
});

test('security.capability survives tarDirectory + applyLayer', async (t) => {
  if (!isRoot) return t.skip('needs root');
  const s = scratch();
  try {
    mkdirSync(`${s.dir}/src`);
    writeFileSync(`${s.dir}/src/ping`, 'x', { mode: 0o755 });
    const cap = Buffer.from('0100000200040000000000000000000000000000', 'hex');
    setAttributeSync(`${s.dir}/src/ping`, 'security.capability', cap);
    await toFile(tarDirectory(`${s.dir}/src`), `${s.dir}/t.tar`);
    await applyLayer(`${s.dir}/dst`, createReadStream(`${s.dir}/t.tar`));
    assert.deepEqual(getAttributeSync(`${s.dir}/dst/ping`, 'security.capability'), cap);
    // and GNU tar reads the same xattr from our PAX records
    mkdirSync(`${s.dir}/gnu`);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', `${s.dir}/t.tar`, '-C', `${s.dir}/gnu`]);
    assert.deepEqual(getAttributeSync(`${s.dir}/gnu/ping`, 'security.capability'), cap);
  } finally {
    s.cleanup();
  }
});
