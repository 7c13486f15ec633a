// Interrupted pulls resume with a Range request and fetch only the rest; a
// registry that sends wrong bytes gets nothing stored and no image recorded.
// The registry is Debian's docker-registry; a relay in front of it slows the
// blob down (so the pull can be killed half-way) and counts what it sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TUG_BIN, haveBusybox, tempRoot, tug, type TempRoot } from '../helpers.js';
import { haveDockerRegistry, startDockerRegistry } from './fixture.js';
import { startRelay } from './relay.js';
import { seedRandom } from './seed.js';
import { ImageService } from '../../src/image/service.js';
import { closeAll } from '../../src/meta/db.js';
import { RegistryClient } from '../../src/distribution/client.js';
import { closeIdleConnections } from '../../src/distribution/transport.js';
import { fetchBlobInto } from '../../src/distribution/fetch-blob.js';
import { ContentStore } from '../../src/content/index.js';

const ready = haveDockerRegistry() && haveBusybox();

function ingestBytes(root: string): number {
  const dir = join(root, 'ingest');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const d of readdirSync(dir)) {
    try {
      n += statSync(join(dir, d, 'data')).size;
    } catch {
      /* not yet created */
    }
  }
  return n;
}

test('resume after a killed pull, and a lying registry', { skip: !ready && 'needs docker-registry' }, async (t) => {
  const reg = await startDockerRegistry();
  const relay = await startRelay(reg.host);
  const roots: TempRoot[] = [];
  const newRoot = (): string => {
    const r = tempRoot('tug-resume-');
    roots.push(r);
    return r.root;
  };
  t.after(async () => {
    closeIdleConnections(); // the in-process client's keep-alive sockets
    closeAll();
    await relay.close();
    await reg.stop();
    for (const r of roots) r.cleanup();
  });
  const src = newRoot();
  const SIZE = 64 * 1024 * 1024;
  await seedRandom(src, [`${reg.host}/big/one:1`], [SIZE], 'resume');
  const push = await tug(['push', `${reg.host}/big/one:1`], { root: src });
  assert.equal(push.code, 0, push.stderr);
  const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/big/one:1`]).toString()) as {
    layers: Array<{ digest: string; size: number }>;
  };
  const layer = manifest.layers[0];

  await t.test('a pull killed half-way continues with Range and fetches only the rest', async () => {
    const dst = newRoot();
    relay.mode.bytesPerSec = 40 * 1024 * 1024;
    const child = spawn(process.execPath, [TUG_BIN, '--root', dst, 'pull', `${relay.host}/big/one:1`], { stdio: 'ignore' });
    const start = Date.now();
    while (ingestBytes(dst) < 16 * 1024 * 1024 && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const partial = ingestBytes(dst);
    assert.ok(partial > 0 && partial < layer.size, `partial ingest ${partial}`);
    relay.mode.bytesPerSec = undefined;
    relay.log.length = 0;
    const r = await tug(['pull', `${relay.host}/big/one:1`], { root: dst });
    assert.equal(r.code, 0, r.stderr);
    const gets = relay.log.filter((e) => e.method === 'GET' && e.url.includes(layer.digest));
    assert.equal(gets.length, 1);
    assert.match(gets[0].range ?? '', /^bytes=\d+-$/);
    const from = Number(/bytes=(\d+)-/.exec(gets[0].range ?? '')?.[1]);
    assert.ok(from >= partial - 1024 * 1024 && from <= partial, `resumed from ${from}, ingest had ${partial}`);
    assert.equal(gets[0].status, 206);
    assert.equal(gets[0].bytes, layer.size - from);
    const img = ImageService.open(dst).resolve(`${relay.host}/big/one:1`);
    assert.equal(img.layers[0].digest, layer.digest);
    assert.deepEqual(readdirSync(join(dst, 'ingest')), []);
  });

  await t.test('a registry that corrupts a blob: digest mismatch, nothing stored', async () => {
    const dst = newRoot();
    relay.mode.corruptBlobs = true;
    const r = await tug(['pull', `${relay.host}/big/one:1`], { root: dst });
    relay.mode.corruptBlobs = false;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: filesystem layer verification failed for digest sha256:[0-9a-f]{64}: digest mismatch/m);
    assert.match(r.stderr, /^Hint: the registry .* sent content that does not match the manifest; nothing was stored$/m);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(ImageService.open(dst).list().length, 0);
    assert.deepEqual(readdirSync(join(dst, 'ingest')), []);
    assert.equal(existsSync(join(dst, 'blobs', 'sha256', layer.digest.slice(7))), false);
  });

  await t.test('503 answers are retried with backoff: chunked push and blob download', async () => {
    // a relay of its own: no blob source is known for its host, so the push really uploads
    const relay = await startRelay(reg.host);
    t.after(() => relay.close());
    const images = ImageService.open(src);
    images.tag(images.resolve(`${reg.host}/big/one:1`), `${relay.host}/retry/one:1`);
    relay.log.length = 0;
    relay.mode.fail = { match: /^PATCH .*\/blobs\/uploads\//, times: 2 };
    const p = await tug(['push', `${relay.host}/retry/one:1`], { root: src, env: { TUG_PUSH_CHUNK_SIZE: String(16 * 1024 * 1024) } });
    assert.equal(p.code, 0, p.stderr);
    const patches = relay.log.filter((e) => e.method === 'PATCH');
    assert.deepEqual(patches.slice(0, 2).map((e) => e.status), [503, 503]);
    assert.ok(patches.filter((e) => e.status === 202).length >= 4, 'four 16 MiB chunks accepted after the failures');
    const digest = /^1: digest: (sha256:[0-9a-f]{64})/m.exec(p.stdout)?.[1];
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/retry/one:1`]);
    assert.equal(digest, `sha256:${createHash('sha256').update(raw).digest('hex')}`);

    relay.log.length = 0;
    relay.mode.fail = { match: /^GET .*\/blobs\/sha256:/, times: 1 };
    const dst = newRoot();
    const r = await tug(['pull', `${relay.host}/retry/one:1`], { root: dst });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(relay.log.some((e) => e.status === 503));
    assert.equal(ImageService.open(dst).resolve(`${relay.host}/retry/one:1`).layers[0].digest, layer.digest);
  });

  await t.test('three pulls of one image into one root at once', async () => {
    const dst = newRoot();
    const rs = await Promise.all([1, 2, 3].map(() => tug(['pull', '-q', `${reg.host}/big/one:1`], { root: dst })));
    for (const r of rs) assert.equal(r.code, 0, r.stderr);
    const list = ImageService.open(dst).list();
    assert.equal(list.length, 1);
    assert.deepEqual(readdirSync(join(dst, 'ingest')).filter((n) => !n.startsWith('.')), []);
  });

  await t.test('on a TTY each layer gets a progress bar redrawn in place', async () => {
    const dst = newRoot();
    relay.mode.bytesPerSec = 100 * 1024 * 1024;
    // script(1) gives tug a pseudo-terminal, as an interactive shell would (async: the relay lives in this process)
    const { stdout: out } = await promisify(execFile)('script', ['-qec', `${process.execPath} ${TUG_BIN} --root ${dst} pull ${relay.host}/big/one:1`, '/dev/null'], { env: { ...process.env, COLUMNS: '120' }, timeout: 60_000 });
    relay.mode.bytesPerSec = undefined;
    assert.match(out, /[0-9a-f]{12}: Downloading \[=*>? *\] +[\d.]+[kMG]?B\/67\.1\dMB/);
    assert.match(out, /\x1b\[\d+A/, 'cursor moves up to redraw');
    assert.match(out, /[0-9a-f]{12}: Pull complete/);
    assert.match(out, /Status: Downloaded newer image for /);
  });

  await t.test('diffIDs measured during download (worker thread and inline) match the config skopeo reads', async () => {
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', '--raw', '--tls-verify=false', `docker://${reg.host}/big/one:1`]).toString()) as { rootfs: { diff_ids: string[] } };
    for (const mode of ['worker', 'inline'] as const) {
      const dst = newRoot();
      const client = RegistryClient.for(reg.host);
      const r = await fetchBlobInto(client, 'big/one', { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }, ContentStore.open(dst), { diff: mode });
      assert.equal(r.diff?.diffID, config.rootfs.diff_ids[0], mode);
    }
  });
});
