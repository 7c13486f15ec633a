// Bad input: each case gets the spec's error code, stores nothing, and the
// server keeps serving a bystander pulling at the same time.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempRoot, type TempRoot } from '../helpers.js';
import { digestOf, errorCode, http, makeImage, pushBlob, pushImage, randomBlob, startRegistry, type RegistryProc } from './helpers.js';

/** Sends raw bytes on a fresh connection; resolves with whatever came back before the server closed or `waitMs` passed. */
function raw(port: number, head: string, body: Buffer, opts: { end?: boolean; destroyAfterMs?: number; waitMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (b) => (got += b.toString()));
    s.on('error', () => {});
    const done = (): void => resolve(got);
    s.on('close', done);
    s.write(head);
    s.write(body);
    if (opts.destroyAfterMs !== undefined) setTimeout(() => s.destroy(), opts.destroyAfterMs);
    else if (opts.end) s.end();
    setTimeout(() => {
      s.destroy();
      done();
    }, opts.waitMs ?? 2000);
  });
}

describe('registry bad input', () => {
  let tmp: TempRoot;
  let reg: RegistryProc;
  let base: string;
  const bystander = makeImage({ layers: 1, layerSize: 200_000 });
  before(async () => {
    tmp = tempRoot('tug-reg-bad-');
    reg = await startRegistry(tmp.root);
    base = reg.base;
    assert.equal((await pushImage(base, 'bystander/app', bystander, 'v1')).status, 201);
  });
  after(async () => {
    await reg.stop();
    tmp.cleanup();
  });

  /** Another client pulling while (or right after) the bad one misbehaves. */
  async function bystanderPulls(): Promise<void> {
    const m = await http('GET', `${base}/v2/bystander/app/manifests/v1`);
    assert.equal(m.status, 200);
    const l = await http('GET', `${base}/v2/bystander/app/blobs/${digestOf(bystander.layers[0])}`);
    assert.equal(l.status, 200);
    assert.equal(digestOf(l.body), digestOf(bystander.layers[0]));
  }

  const blobCount = (): number => readdirSync(join(tmp.root, 'blobs', 'sha256')).length;

  it('malformed manifests: MANIFEST_INVALID, no tag created', async () => {
    const cfg = randomBlob(10);
    await pushBlob(base, 'bad/manifest', cfg.data);
    const cases: Array<[string, string]> = [
      ['{not json', 'application/vnd.oci.image.manifest.v1+json'],
      ['[]', 'application/vnd.oci.image.manifest.v1+json'],
      [JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: cfg.digest, size: 10 }, layers: 'nope' }), 'application/vnd.oci.image.manifest.v1+json'],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: 'sha256:zz', size: 10 }, layers: [] }), 'application/vnd.oci.image.manifest.v1+json'],
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: cfg.digest, size: -1 }, layers: [] }), 'application/vnd.oci.image.manifest.v1+json'],
      // Content-Type says index, the body says manifest
      [JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'x', digest: cfg.digest, size: 10 }, layers: [] }), 'application/vnd.oci.image.index.v1+json'],
    ];
    for (const [body, ct] of cases) {
      const r = await http('PUT', `${base}/v2/bad/manifest/manifests/t`, { body, headers: { 'Content-Type': ct } });
      assert.equal(r.status, 400, body);
      assert.equal(errorCode(r), 'MANIFEST_INVALID', body);
    }
    assert.deepEqual((await http('GET', `${base}/v2/bad/manifest/tags/list`)).json().tags, []);
    await bystanderPulls();
  });

  it('a manifest naming blobs the repository lacks: MANIFEST_BLOB_UNKNOWN, nothing recorded', async () => {
    const img = makeImage({ layers: 2 });
    // push only the config and the first layer
    await pushBlob(base, 'bad/blobs', img.config);
    await pushBlob(base, 'bad/blobs', img.layers[0]);
    const r = await http('PUT', `${base}/v2/bad/blobs/manifests/v1`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(r.json<{ errors: Array<{ detail: { digest: string } }> }>().errors[0].detail.digest, digestOf(img.layers[1]));
    assert.equal((await http('GET', `${base}/v2/bad/blobs/manifests/v1`)).status, 404);
    assert.equal((await http('GET', `${base}/v2/bad/blobs/manifests/${img.digest}`)).status, 404);
    // the blob exists in another repository on this host: still unknown here
    await pushBlob(base, 'elsewhere', img.layers[1]);
    const r2 = await http('PUT', `${base}/v2/bad/blobs/manifests/v1`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(errorCode(r2), 'MANIFEST_BLOB_UNKNOWN');
    await bystanderPulls();
  });

  it('wrong digest on the closing PUT of a chunked upload: DIGEST_INVALID, session over, nothing stored', async () => {
    const b = randomBlob(40_000);
    const before = blobCount();
    const post = await http('POST', `${base}/v2/bad/digest/blobs/uploads/`);
    const p = await http('PATCH', `${base}${post.headers.location}`, { body: b.data });
    const wrong = digestOf(b.data.subarray(1));
    const put = await http('PUT', `${base}${p.headers.location}?digest=${wrong}`);
    assert.equal(put.status, 400);
    assert.equal(errorCode(put), 'DIGEST_INVALID');
    assert.equal(blobCount(), before);
    assert.equal((await http('HEAD', `${base}/v2/bad/digest/blobs/${b.digest}`)).status, 404);
    assert.equal(errorCode(await http('GET', `${base}${post.headers.location}`)), 'BLOB_UPLOAD_UNKNOWN');
    // an invalid digest string
    const post2 = await http('POST', `${base}/v2/bad/digest/blobs/uploads/`);
    const r = await http('PUT', `${base}${post2.headers.location}?digest=sha256:nothex`, { body: 'x' });
    assert.equal(errorCode(r), 'DIGEST_INVALID');
    await bystanderPulls();
  });

  it('a Content-Length lie (body shorter than declared, then the client closes): nothing stored', async () => {
    const b = randomBlob(100_000);
    const before = blobCount();
    const head = `POST /v2/bad/lie/blobs/uploads/?digest=${b.digest} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${b.data.length}\r\n\r\n`;
    const pulling = bystanderPulls();
    await raw(reg.port, head, b.data.subarray(0, 40_000), { end: true });
    await pulling;
    assert.equal((await http('HEAD', `${base}/v2/bad/lie/blobs/${b.digest}`)).status, 404);
    assert.equal(blobCount(), before);
    // declared shorter than sent: the registry reads the declared bytes, whose digest does not match
    const head2 = `POST /v2/bad/lie/blobs/uploads/?digest=${b.digest} HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n`;
    const answer = await raw(reg.port, head2, b.data, { waitMs: 1500 });
    // (the surplus bytes make Node's parser answer 400 on the same connection)
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.equal((await http('HEAD', `${base}/v2/bad/lie/blobs/${b.digest}`)).status, 404);
    assert.equal(blobCount(), before);
    await bystanderPulls();
  });

  it('a client disconnecting mid-upload leaves a resumable session and no blob', async () => {
    const b = randomBlob(3_000_000);
    const post = await http('POST', `${base}/v2/bad/disconnect/blobs/uploads/`);
    const loc = post.headers.location as string;
    const head = `PATCH ${loc} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Range: 0-${b.data.length - 1}\r\nContent-Length: ${b.data.length}\r\n\r\n`;
    const pulling = bystanderPulls();
    await raw(reg.port, head, b.data.subarray(0, 1_000_000), { destroyAfterMs: 300, waitMs: 600 });
    await pulling;
    assert.equal((await http('HEAD', `${base}/v2/bad/disconnect/blobs/${b.digest}`)).status, 404);
    const st = await http('GET', `${base}${loc}`);
    assert.equal(st.status, 204);
    const got = Number(/^0-(\d+)$/.exec(st.headers.range as string)![1]) + 1;
    assert.ok(got > 0 && got <= 1_000_000, `offset ${got}`);
    // resume from where the bytes stopped
    const p = await http('PATCH', `${base}${loc}`, { body: b.data.subarray(got), headers: { 'Content-Range': `${got}-${b.data.length - 1}` } });
    assert.equal(p.status, 202, p.text);
    const put = await http('PUT', `${base}${p.headers.location}?digest=${b.digest}`);
    assert.equal(put.status, 201, put.text);
    assert.equal(digestOf((await http('GET', `${base}/v2/bad/disconnect/blobs/${b.digest}`)).body), b.digest);
  });

  it('path traversal, uppercase and over-long repository names: NAME_INVALID, nothing created', async () => {
    const b = randomBlob(100);
    const names = ['../etc', 'a/../../b', 'a/%2e%2e/b', 'Upper/case', 'UPPER', 'a//b', '-lead', 'trail-', 'a'.repeat(256), `${'a'.repeat(120)}/${'b'.repeat(140)}`];
    for (const n of names) {
      for (const [method, path] of [
        ['POST', `/v2/${n}/blobs/uploads/?digest=${b.digest}`],
        ['GET', `/v2/${n}/manifests/latest`],
        ['PUT', `/v2/${n}/manifests/latest`],
        ['GET', `/v2/${n}/tags/list`],
      ] as const) {
        const r = await http(method, `${base}${path}`, method === 'GET' ? {} : { body: b.data });
        assert.equal(r.status, 400, `${method} ${n}: ${r.status} ${r.text}`);
        assert.equal(errorCode(r), 'NAME_INVALID', `${method} ${n}`);
      }
    }
    // the longest valid name (255 characters) is fine
    const longest = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    assert.equal(longest.length, 255);
    assert.equal((await pushBlob(base, longest, b.data)).status, 201);
    const repos = (await http('GET', `${base}/v2/_catalog`)).json<{ repositories: string[] }>().repositories;
    assert.ok(!repos.some((r) => /[A-Z.]{2}|\.\./.test(r) || r.length > 255), repos.join(','));
    assert.ok(!existsSync(join(tmp.root, '..', 'etc')));
    await bystanderPulls();
  });

  it('an unauthenticated push to a registry with auth: UNAUTHORIZED, nothing stored', async () => {
    const { writeFileSync } = await import('node:fs');
    const bcrypt = (await import('bcryptjs')).default;
    const pw = join(tmp.root, 'htpasswd');
    writeFileSync(pw, `alice:${bcrypt.hashSync('secret', 4)}\n`);
    const secured = await startRegistry(tmp.root, ['--htpasswd', pw, '--auth', 'basic']);
    try {
      const b = randomBlob(1000);
      const before = blobCount();
      const r = await pushBlob(secured.base, 'sec/app', b.data);
      assert.equal(r.status, 401);
      assert.equal(errorCode(r), 'UNAUTHORIZED');
      assert.match(String(r.headers['www-authenticate']), /^Basic realm=/);
      const wrong = await pushBlob(secured.base, 'sec/app', b.data, { Authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` });
      assert.equal(wrong.status, 401);
      const m = await http('PUT', `${secured.base}/v2/sec/app/manifests/v1`, { body: bystander.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 401);
      assert.equal(blobCount(), before);
      const ok = await pushBlob(secured.base, 'sec/app', b.data, { Authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` });
      assert.equal(ok.status, 201);
    } finally {
      await secured.stop();
    }
    await bystanderPulls();
  });
});
