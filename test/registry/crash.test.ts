// A registry SIGKILLed in the middle of uploads: after a restart it never
// serves a partial or wrong blob, resumes sessions from the bytes on disk, and
// drops sessions that went stale.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempRoot } from '../helpers.js';
import { digestOf, errorCode, http, randomBlob, startRegistry, type RegistryProc } from './helpers.js';

/** Starts a request that sends `send` of `total` declared bytes and then stalls (the socket stays open). */
function stalledUpload(reg: RegistryProc, method: string, path: string, total: number, send: Buffer, extra = ''): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(reg.port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n${extra}\r\n`);
    s.write(send, () => setTimeout(resolve, 300));
  });
}

function registryIngests(root: string): string[] {
  const dir = join(root, 'ingest');
  return readdirSync(dir)
    .filter((n) => /^[0-9a-f]{64}$/.test(n))
    .map((n) => {
      try {
        return readFileSync(join(dir, n, 'ref'), 'utf8');
      } catch {
        return '';
      }
    })
    .filter((r) => r.startsWith('registry-upload-'));
}

describe('registry crash safety (SIGKILL mid-upload)', () => {
  it('never serves a partial blob, resumes after restart, cleans stale sessions', async () => {
    const tmp = tempRoot('tug-reg-crash-');
    let reg = await startRegistry(tmp.root);
    try {
      const big = randomBlob(6_000_000);
      const mono = randomBlob(2_000_000);
      // session A: one complete chunk, then a second chunk cut off by the kill
      const post = await http('POST', `${reg.base}/v2/crash/app/blobs/uploads/`);
      const locA = post.headers.location as string;
      const p1 = await http('PATCH', `${reg.base}${locA}`, { body: big.data.subarray(0, 2_000_000), headers: { 'Content-Range': '0-1999999' } });
      assert.equal(p1.status, 202);
      await stalledUpload(reg, 'PATCH', locA, 4_000_000, big.data.subarray(2_000_000, 3_000_000), 'Content-Range: 2000000-5999999\r\n');
      // session B: a monolithic POST ?digest= cut off halfway
      await stalledUpload(reg, 'POST', `/v2/crash/mono/blobs/uploads/?digest=${mono.digest}`, mono.data.length, mono.data.subarray(0, 1_000_000));
      reg.child.kill('SIGKILL');
      await reg.stop();

      reg = await startRegistry(tmp.root);
      // nothing partial is visible, under either repository
      for (const [repo, d] of [['crash/app', big.digest], ['crash/mono', mono.digest]]) {
        const r = await http('GET', `${reg.base}/v2/${repo}/blobs/${d}`);
        assert.equal(r.status, 404);
        assert.equal(errorCode(r), 'BLOB_UNKNOWN');
      }
      assert.equal(readdirSync(join(tmp.root, 'blobs', 'sha256')).length, 0);
      // session A resumes where its bytes stopped
      const st = await http('GET', `${reg.base}${locA}`);
      assert.equal(st.status, 204);
      const offset = Number(/^0-(\d+)$/.exec(st.headers.range as string)![1]) + 1;
      assert.ok(offset >= 2_000_000 && offset <= 3_000_000, `offset ${offset}`);
      const wrongStart = await http('PATCH', `${reg.base}${locA}`, { body: big.data.subarray(offset + 1), headers: { 'Content-Range': `${offset + 1}-5999999` } });
      assert.equal(wrongStart.status, 416);
      const rest = await http('PATCH', `${reg.base}${locA}`, { body: big.data.subarray(offset), headers: { 'Content-Range': `${offset}-5999999` } });
      assert.equal(rest.status, 202, rest.text);
      const put = await http('PUT', `${reg.base}${rest.headers.location}?digest=${big.digest}`);
      assert.equal(put.status, 201, put.text);
      const got = await http('GET', `${reg.base}/v2/crash/app/blobs/${big.digest}`);
      assert.equal(digestOf(got.body), big.digest);

      // session B was never handed to the client: once stale it is dropped on start-up
      assert.equal(registryIngests(tmp.root).length, 1);
      await reg.stop();
      await new Promise((r) => setTimeout(r, 1200));
      reg = await startRegistry(tmp.root, ['--upload-ttl', '1s']);
      assert.deepEqual(registryIngests(tmp.root), []);
      assert.equal((await http('GET', `${reg.base}/v2/crash/mono/blobs/${mono.digest}`)).status, 404);
      assert.equal((await http('GET', `${reg.base}/v2/crash/app/blobs/${big.digest}`)).status, 200);
    } finally {
      await reg.stop('SIGKILL');
      tmp.cleanup();
    }
  });

  it('a stale session from a killed server is gone after restart (BLOB_UPLOAD_UNKNOWN)', async () => {
    const tmp = tempRoot('tug-reg-crash2-');
    let reg = await startRegistry(tmp.root);
    try {
      const post = await http('POST', `${reg.base}/v2/stale/blobs/uploads/`);
      const loc = post.headers.location as string;
      await http('PATCH', `${reg.base}${loc}`, { body: Buffer.alloc(10_000, 7) });
      reg.child.kill('SIGKILL');
      await reg.stop();
      await new Promise((r) => setTimeout(r, 1200));
      reg = await startRegistry(tmp.root, ['--upload-ttl', '1s']);
      const r = await http('GET', `${reg.base}${loc}`);
      assert.equal(r.status, 404);
      assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
      assert.deepEqual(registryIngests(tmp.root), []);
    } finally {
      await reg.stop('SIGKILL');
      tmp.cleanup();
    }
  });
});
