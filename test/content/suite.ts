// A conformance suite for the content store (in the spirit of containerd's
// ContentSuite): every behaviour others rely on, run against a store made by
// a factory, so a second backend would run the very same tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buffer } from 'node:stream/consumers';
import type { ContentStore } from '../../src/content/store.js';
import { TugError } from '../../src/util/errors.js';

export interface StoreFixture {
  store: ContentStore;
  root: string;
  cleanup(): void;
}

/** sha256 from coreutils, a peer tool, so expected digests never come from tug's own code. */
function sha256sum(data: Buffer): string {
  return 'sha256:' + execFileSync('sha256sum', ['-b'], { input: data }).toString().split(' ')[0];
}

async function rejectsWith(p: Promise<unknown>, code: string, re?: RegExp): Promise<TugError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TugError, `expected a TugError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

async function listWalk(store: ContentStore): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.walk()) out.push(b.digest);
  return out.sort();
}

async function listIngests(store: ContentStore): Promise<string[]> {
  const out: string[] = [];
  for await (const i of store.ingests()) out.push(i.ref);
  return out.sort();
}

export function contentSuite(name: string, make: () => StoreFixture): void {
  const withStore = (title: string, fn: (f: StoreFixture) => Promise<void>) =>
    test(`${name}: ${title}`, async () => {
      const f = make();
      try {
        await fn(f);
      } finally {
        f.cleanup();
      }
    });

  withStore('the root is an OCI image layout', async ({ root, store }) => {
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    assert.equal(JSON.parse(readFileSync(join(root, 'index.json'), 'utf8')).schemaVersion, 2);
    const data = Buffer.from('hello\n');
    const { digest } = await store.write(data);
    assert.equal(store.blobPath(digest), join(root, 'blobs', 'sha256', digest.slice(7)));
  });

  withStore('write a buffer: digest, size, read back, read-only file', async ({ store }) => {
    const data = randomBytes(100_000);
    const want = sha256sum(data);
    const got = await store.write(data);
    assert.deepEqual(got, { digest: want, size: data.length });
    assert.equal(await store.has(want), true);
    assert.deepEqual(await store.info(want), { digest: want, size: data.length });
    assert.deepEqual(await store.readBytes(want), data);
    assert.deepEqual(await buffer(await store.open(want)), data);
    assert.equal(statSync(store.blobPath(want)).mode & 0o777, 0o444);
    assert.deepEqual(await listIngests(store), [], 'no ingest left behind');
  });

  withStore('a stream through writer(): hashed while it flows, several MiB', async ({ store }) => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const want = sha256sum(data);
    const w = await store.writer('layer-upload');
    assert.equal(w.offset, 0);
    const chunks = [];
    for (let i = 0; i < data.length; i += 65_536) chunks.push(data.subarray(i, i + 65_536));
    await pipeline(Readable.from(chunks), w.stream());
    assert.equal(w.digest(), want, 'digest so far');
    assert.equal(w.offset, data.length);
    assert.equal(await store.has(want), false, 'invisible before commit');
    assert.deepEqual(await listIngests(store), ['layer-upload']);
    const c = await w.commit({ digest: want, size: data.length });
    assert.deepEqual(c, { digest: want, size: data.length });
    assert.equal(createHash('sha256').update(readFileSync(store.blobPath(want))).digest('hex'), want.slice(7));
    assert.deepEqual(await listIngests(store), []);
  });

  withStore('write(stream) with the expected digest', async ({ store }) => {
    const data = randomBytes(300_000);
    const want = sha256sum(data);
    const got = await store.write(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { digest: want, size: data.length });
    assert.equal(got.digest, want);
  });

  withStore('a digest mismatch stores nothing and names both digests', async ({ store }) => {
    const data = Buffer.from('the real content');
    const actual = sha256sum(data);
    const claimed = sha256sum(Buffer.from('what the manifest said'));
    const err = await rejectsWith(store.write(data, { digest: claimed }), 'DIGEST_MISMATCH');
    assert.ok(err.message.includes(claimed) && err.message.includes(actual), err.message);
    assert.deepEqual(await listWalk(store), []);
    assert.deepEqual(await listIngests(store), []);
    assert.equal(await store.has(actual), false);

    const w = await store.writer();
    await w.write(data);
    await rejectsWith(w.commit({ digest: actual, size: data.length + 1 }), 'DIGEST_MISMATCH', /size/);
    assert.deepEqual(await listWalk(store), []);
    assert.deepEqual(await listIngests(store), []);
  });

  withStore('"already exists" is success, and the blob stays one verified copy', async ({ store }) => {
    const data = randomBytes(10_000);
    const a = await store.write(data);
    const b = await store.write(data);
    const c = await store.write(Readable.from([data]), { digest: a.digest });
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.deepEqual(await listWalk(store), [a.digest]);
    assert.deepEqual(await listIngests(store), []);
  });

  withStore('a stream for a blob already stored is still verified', async ({ store }) => {
    const data = randomBytes(50_000);
    const { digest } = await store.write(data);
    const wrong = randomBytes(50_000);
    const err = await rejectsWith(store.write(Readable.from([wrong]), { digest, size: wrong.length }), 'DIGEST_MISMATCH');
    assert.ok(err.message.includes(digest) && err.message.includes(sha256sum(wrong)), err.message);
    assert.ok(readFileSync(store.blobPath(digest)).equals(data), 'the stored copy is untouched');
    assert.deepEqual(await store.write(Readable.from([data.subarray(0, 10), data.subarray(10)]), { digest }), { digest, size: data.length });
    assert.deepEqual(await listIngests(store), []);
  });

  withStore('an ingest resumes by ref: offset is what is there, rehashed', async ({ store }) => {
    const data = randomBytes(200_000);
    const want = sha256sum(data);
    const w1 = await store.writer('upload-1');
    await w1.write(data.subarray(0, 70_000));
    await rejectsWith(store.writer('upload-1'), 'CONFLICT', /upload-1/);
    await w1.close();
    const w2 = await store.writer('upload-1');
    assert.equal(w2.offset, 70_000);
    await w2.write(data.subarray(70_000));
    assert.deepEqual(await w2.commit({ digest: want }), { digest: want, size: data.length });
  });

  withStore('a source that fails mid-stream: offset counts exactly what is on disk, and the ingest resumes', async ({ store }) => {
    const data = randomBytes(3 * 1024 * 1024);
    const want = sha256sum(data);
    const w = await store.writer('flaky');
    async function* flaky() {
      for (let i = 0; i < 2 * 1024 * 1024; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
      throw new Error('connection reset');
    }
    await assert.rejects(pipeline(Readable.from(flaky()), w.stream()), /connection reset/);
    // Chunks still queued in the stream are dropped; every accepted one is counted.
    const offset = w.offset;
    assert.ok(offset > 0 && offset <= 2 * 1024 * 1024, String(offset));
    assert.equal(w.digest(), sha256sum(data.subarray(0, offset)));
    await pipeline(Readable.from([data.subarray(offset)]), w.stream()); // the resumed request, right away
    assert.deepEqual(await w.commit({ digest: want, size: data.length }), { digest: want, size: data.length });
    assert.ok(readFileSync(store.blobPath(want)).equals(data), 'bytes on disk in the right order');
    // And across processes: a closed ingest reopens at exactly what is on disk.
    const w2 = await store.writer('flaky-2');
    await assert.rejects(pipeline(Readable.from(flaky()), w2.stream()), /connection reset/);
    await w2.close();
    const w3 = await store.writer('flaky-2');
    assert.equal(statSync(join(store.layout.ingestPath('flaky-2'), 'data')).size, w3.offset);
    assert.equal(w3.digest(), sha256sum(data.subarray(0, w3.offset)));
    await w3.write(data.subarray(w3.offset));
    assert.equal((await w3.commit({ digest: want })).digest, want);
  });

  withStore('ingests are listed and can be aborted', async ({ store }) => {
    const w = await store.writer('abandoned');
    await w.write(Buffer.from('partial'));
    await w.close();
    const list: Array<{ ref: string; size: number }> = [];
    for await (const i of store.ingests()) list.push({ ref: i.ref, size: i.size });
    assert.deepEqual(list, [{ ref: 'abandoned', size: 7 }]);
    await store.abortIngest('abandoned');
    assert.deepEqual(await listIngests(store), []);
    await rejectsWith(store.abortIngest('abandoned'), 'NOT_FOUND');
    assert.deepEqual(await listWalk(store), []);
  });

  withStore('writer.abort() leaves nothing', async ({ store }) => {
    const w = await store.writer();
    await w.write(randomBytes(1000));
    await w.abort();
    assert.deepEqual(await listIngests(store), []);
    assert.deepEqual(await listWalk(store), []);
  });

  withStore('range reads are inclusive; the end is clamped; a start past the end is refused', async ({ store }) => {
    const data = Buffer.from('0123456789abcdef');
    const { digest } = await store.write(data);
    assert.equal((await buffer(await store.open(digest, { start: 3, end: 6 }))).toString(), '3456');
    assert.equal((await buffer(await store.open(digest, { start: 10 }))).toString(), 'abcdef');
    assert.equal((await buffer(await store.open(digest, { start: 15, end: 100 }))).toString(), 'f');
    assert.equal((await buffer(await store.open(digest, { start: 0, end: 0 }))).toString(), '0');
    await rejectsWith(store.open(digest, { start: 16 }), 'INVALID_ARGUMENT');
    await rejectsWith(store.open(digest, { start: 5, end: 4 }), 'INVALID_ARGUMENT');
    await rejectsWith(store.open(digest, { start: -1 }), 'INVALID_ARGUMENT');
  });

  withStore('the empty blob', async ({ store }) => {
    const { digest, size } = await store.write(Buffer.alloc(0));
    assert.equal(digest, 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(size, 0);
    assert.equal((await buffer(await store.open(digest))).length, 0);
  });

  withStore('missing blobs are NOT_FOUND, bad digests INVALID_ARGUMENT', async ({ store }) => {
    const absent = sha256sum(Buffer.from('nobody wrote this'));
    assert.equal(await store.has(absent), false);
    await rejectsWith(store.info(absent), 'NOT_FOUND', /not found/);
    await rejectsWith(store.open(absent), 'NOT_FOUND');
    await rejectsWith(store.readBytes(absent), 'NOT_FOUND');
    await rejectsWith(store.delete(absent), 'NOT_FOUND');
    await rejectsWith(store.info('sha256:../../etc/passwd'), 'INVALID_ARGUMENT');
    await rejectsWith(store.info('sha256:ABC'), 'INVALID_ARGUMENT');
    await rejectsWith(store.info('md5:d41d8cd98f00b204e9800998ecf8427e'), 'INVALID_ARGUMENT', /algorithm/);
  });

  withStore('walk and delete', async ({ store }) => {
    const a = await store.write(Buffer.from('a'));
    const b = await store.write(Buffer.from('b'));
    const w = await store.writer('in-progress');
    await w.write(Buffer.from('c'));
    assert.deepEqual(await listWalk(store), [a.digest, b.digest].sort(), 'ingests are not blobs');
    for await (const x of store.walk()) {
      assert.equal(x.size, 1);
      assert.ok(Math.abs(x.mtimeMs - Date.now()) < 60_000);
    }
    await store.delete(a.digest);
    assert.equal(await store.has(a.digest), false);
    assert.deepEqual(await listWalk(store), [b.digest]);
    await w.abort();
  });

  withStore('readBytes caps the size and detects on-disk corruption; readJson parses', async ({ store }) => {
    const big = await store.write(randomBytes(2000));
    await rejectsWith(store.readBytes(big.digest, 1000), 'INVALID_ARGUMENT', /2000 bytes/);
    const json = await store.write(Buffer.from('{"schemaVersion":2}'));
    assert.deepEqual(await store.readJson(json.digest), { schemaVersion: 2 });
    await rejectsWith(store.readJson(big.digest), 'INVALID_ARGUMENT', /JSON/);
    const p = store.blobPath(json.digest);
    chmodSync(p, 0o644);
    writeFileSync(p, '{"schemaVersion":3}');
    const err = await rejectsWith(store.readBytes(json.digest), 'DIGEST_MISMATCH');
    assert.ok(err.message.includes(json.digest));
  });

  withStore('verify re-hashes a stored blob', async ({ store }) => {
    const data = randomBytes(70_000);
    const { digest } = await store.write(data);
    assert.deepEqual(await store.verify(digest), { digest, size: data.length });
    const p = store.blobPath(digest);
    chmodSync(p, 0o644);
    const rotten = Buffer.from(data);
    rotten[12345] ^= 1;
    writeFileSync(p, rotten);
    await rejectsWith(store.verify(digest), 'DIGEST_MISMATCH', /corrupt/);
  });

  withStore('a partial blob is never visible while it is written', async ({ store }) => {
    const data = randomBytes(2 * 1024 * 1024);
    const want = sha256sum(data);
    const w = await store.writer();
    for (let i = 0; i < data.length; i += 256 * 1024) {
      await w.write(data.subarray(i, i + 256 * 1024));
      assert.equal(await store.has(want), false);
      assert.deepEqual(readdirSync(store.layout.blobsDir), []);
    }
    await w.commit();
    assert.deepEqual(readdirSync(store.layout.blobsDir), [want.slice(7)]);
  });
}
