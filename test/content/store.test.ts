import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ContentStore } from '../../src/content/store.js';
import { tempRoot, tempDir } from '../helpers.js';
import { TugError } from '../../src/util/errors.js';
import { contentSuite } from './suite.js';

contentSuite('local store', () => {
  const t = tempRoot('tug-content-');
  return { store: ContentStore.open(t.root), root: t.root, cleanup: t.cleanup };
});

const CHILD = fileURLToPath(new URL('./race.child.js', import.meta.url));

function runChild(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

test('processes writing the same blob at once end with one verified copy', async () => {
  const t = tempRoot('tug-content-race-');
  const scratch = tempDir();
  try {
    const data = randomBytes(8 * 1024 * 1024);
    const blobFile = join(scratch, 'blob');
    writeFileSync(blobFile, data);
    const want = 'sha256:' + execFileSync('sha256sum', [blobFile]).toString().split(' ')[0];
    const go = join(scratch, 'go');
    // Different chunk sizes, so the writers interleave differently.
    const children = [4096, 65_537, 1_000_000, 1 << 20].map((n) => runChild([t.root, blobFile, go, String(n)]));
    await new Promise((r) => setTimeout(r, 400)); // let every child load and wait at the barrier
    writeFileSync(go, '');
    const results = await Promise.all(children);
    for (const r of results) {
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(JSON.parse(r.out), { digest: want, size: data.length });
    }
    const blobs = readdirSync(join(t.root, 'blobs', 'sha256'));
    assert.deepEqual(blobs, [want.slice(7)]);
    assert.ok(readFileSync(join(t.root, 'blobs', 'sha256', want.slice(7))).equals(data));
    assert.deepEqual(readdirSync(join(t.root, 'ingest')), [], 'every ingest cleaned up');
  } finally {
    t.cleanup();
    execFileSync('rm', ['-rf', scratch]);
  }
});

test('skopeo reads the store as an OCI image layout', async (t) => {
  if (!existsSync('/usr/bin/skopeo')) return t.skip('skopeo not installed');
  const r = tempRoot('tug-content-skopeo-');
  try {
    const store = ContentStore.open(r.root);
    // A one-layer image: a gzipped empty tar (1024 zero bytes), its config and manifest.
    const layerTar = Buffer.alloc(1024);
    const layer = await store.write(gzipSync(layerTar));
    const diffId = (await store.write(layerTar)).digest;
    const config = await store.write(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId] } })));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }));
    const m = await store.write(manifest);
    writeFileSync(join(r.root, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }));
    const { stdout } = await promisify(execFile)('skopeo', ['inspect', `oci:${r.root}:latest`]);
    const info = JSON.parse(stdout) as { Digest: string; Layers: string[] };
    assert.equal(info.Digest, m.digest);
    assert.deepEqual(info.Layers, [layer.digest]);
    const raw = await promisify(execFile)('skopeo', ['inspect', '--config', '--raw', `oci:${r.root}:latest`]);
    assert.equal(JSON.parse(raw.stdout).rootfs.diff_ids[0], diffId);
  } finally {
    r.cleanup();
  }
});

test('a blob the collector has parked for its re-check is waited for, not reported missing', async () => {
  const r = tempRoot('tug-content-park-');
  try {
    const store = ContentStore.open(r.root);
    const { digest } = await store.write(Buffer.from('parked for a moment'));
    const { mkdirSync, renameSync } = await import('node:fs');
    mkdirSync(store.layout.trashDir, { recursive: true });
    const parked = join(store.layout.trashDir, `${digest.slice(7)}.${process.pid}.0`);
    renameSync(store.blobPath(digest), parked);
    setTimeout(() => renameSync(parked, store.blobPath(digest)), 30); // the collector decides to keep it
    assert.equal((await store.readBytes(digest)).toString(), 'parked for a moment');
    // Parked and then really removed: NOT_FOUND, after a short wait.
    renameSync(store.blobPath(digest), parked);
    setTimeout(() => execFileSync('rm', ['-f', parked]), 30);
    await assert.rejects(store.info(digest), (e: unknown) => e instanceof Error && /not found/.test(e.message));
  } finally {
    r.cleanup();
  }
});

test('a state root that is a file is one clear error', () => {
  const scratch = tempDir();
  try {
    const file = join(scratch, 'not-a-dir');
    writeFileSync(file, '');
    assert.throws(() => ContentStore.open(file), (e: unknown) => e instanceof TugError && e.code === 'INVALID_ARGUMENT' && /not a directory/.test(e.message));
  } finally {
    execFileSync('rm', ['-rf', scratch]);
  }
});

test('an unwritable state root is PERMISSION_DENIED with a hint (as user nobody)', async (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to run a child as another user');
  const scratch = tempDir();
  try {
    execFileSync('chmod', ['0755', scratch]);
    const ro = join(scratch, 'ro');
    execFileSync('mkdir', ['-m', '0555', ro]);
    const storeUrl = new URL('../../src/content/store.js', import.meta.url).href;
    const script = `import(${JSON.stringify(storeUrl)}).then(({ ContentStore }) => {
      try { ContentStore.open(${JSON.stringify(join(ro, 'root'))}); console.log('opened'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message, hint: e.hint })); }
    })`;
    const out = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: '/' });
    const e = JSON.parse(out.stdout) as { name: string; code: string; message: string; hint: string };
    assert.equal(e.name, 'TugError');
    assert.equal(e.code, 'PERMISSION_DENIED');
    assert.match(e.message, /cannot write to the state root/);
    assert.match(e.hint, /--root/);
  } finally {
    execFileSync('rm', ['-rf', scratch]);
  }
});
