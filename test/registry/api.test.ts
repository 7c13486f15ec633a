// The OCI distribution spec v1.1 endpoints against a real `tug registry serve`
// process. Expected statuses, headers and codes are the spec's text.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tempRoot, type TempRoot } from '../helpers.js';
import { digestOf, errorCode, http, makeImage, pushBlob, pushImage, randomBlob, startRegistry, type RegistryProc } from './helpers.js';

describe('registry API (OCI distribution v1.1)', () => {
  let tmp: TempRoot;
  let reg: RegistryProc;
  let base: string;
  before(async () => {
    tmp = tempRoot('tug-reg-api-');
    reg = await startRegistry(tmp.root);
    base = reg.base;
  });
  after(async () => {
    await reg.stop();
    tmp.cleanup();
  });

  it('GET /v2/ answers 200 with the API version header', async () => {
    const r = await http('GET', `${base}/v2/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  it('monolithic POST then PUT; blob GET/HEAD with Docker-Content-Digest', async () => {
    const b = randomBlob(100_000);
    const post = await http('POST', `${base}/v2/mono/blobs/uploads/`);
    assert.equal(post.status, 202);
    const loc = post.headers.location as string;
    assert.match(loc, /^\/v2\/mono\/blobs\/uploads\/[0-9a-f-]{36}$/);
    const put = await http('PUT', `${base}${loc}?digest=${b.digest}`, { body: b.data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.location, `/v2/mono/blobs/${b.digest}`);
    const get = await http('GET', `${base}/v2/mono/blobs/${b.digest}`);
    assert.equal(get.status, 200);
    assert.equal(get.headers['docker-content-digest'], b.digest);
    assert.ok(get.body.equals(b.data));
    const head = await http('HEAD', `${base}/v2/mono/blobs/${b.digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(b.data.length));
    assert.equal(head.body.length, 0);
  });

  it('single POST with ?digest= gives 201 and the blob', async () => {
    const b = randomBlob(5000);
    const r = await pushBlob(base, 'single', b.data);
    assert.equal(r.status, 201);
    assert.equal(r.headers.location, `/v2/single/blobs/${b.digest}`);
    assert.equal(r.headers['docker-content-digest'], b.digest);
    assert.ok((await http('GET', `${base}/v2/single/blobs/${b.digest}`)).body.equals(b.data));
  });

  it('a blob of another repository is not visible through this one', async () => {
    const b = randomBlob(300);
    assert.equal((await pushBlob(base, 'owner/a', b.data)).status, 201);
    const r = await http('GET', `${base}/v2/stranger/b/blobs/${b.digest}`);
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'BLOB_UNKNOWN');
  });

  it('Range requests on blobs: 206 with Content-Range, suffix ranges, 416 past the end', async () => {
    const b = randomBlob(1000);
    await pushBlob(base, 'ranges', b.data);
    const url = `${base}/v2/ranges/blobs/${b.digest}`;
    const r1 = await http('GET', url, { headers: { Range: 'bytes=10-19' } });
    assert.equal(r1.status, 206);
    assert.equal(r1.headers['content-range'], 'bytes 10-19/1000');
    assert.ok(r1.body.equals(b.data.subarray(10, 20)));
    const r2 = await http('GET', url, { headers: { Range: 'bytes=-5' } });
    assert.equal(r2.status, 206);
    assert.ok(r2.body.equals(b.data.subarray(995)));
    const r3 = await http('GET', url, { headers: { Range: 'bytes=990-' } });
    assert.ok(r3.body.equals(b.data.subarray(990)));
    const r4 = await http('GET', url, { headers: { Range: 'bytes=1000-1001' } });
    assert.equal(r4.status, 416);
    assert.equal(r4.headers['content-range'], 'bytes */1000');
  });

  it('chunked PATCH uploads: in order 202 with Range, out of order 416, status GET, final chunk on PUT', async () => {
    const b = randomBlob(30_000);
    const post = await http('POST', `${base}/v2/chunked/blobs/uploads/`, { headers: { 'Content-Length': 0 } });
    assert.equal(post.status, 202);
    let loc = post.headers.location as string;
    const p1 = await http('PATCH', `${base}${loc}`, { body: b.data.subarray(0, 10_000), headers: { 'Content-Range': '0-9999', 'Content-Type': 'application/octet-stream' } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.range, '0-9999');
    loc = p1.headers.location as string;
    // out of order: skips bytes 10000-19999
    const bad = await http('PATCH', `${base}${loc}`, { body: b.data.subarray(20_000), headers: { 'Content-Range': '20000-29999' } });
    assert.equal(bad.status, 416);
    const st = await http('GET', `${base}${loc}`);
    assert.equal(st.status, 204);
    assert.equal(st.headers.range, '0-9999');
    assert.equal(st.headers.location, loc);
    const p2 = await http('PATCH', `${base}${loc}`, { body: b.data.subarray(10_000, 20_000), headers: { 'Content-Range': '10000-19999' } });
    assert.equal(p2.status, 202);
    // the blob is not visible before the closing PUT
    assert.equal((await http('HEAD', `${base}/v2/chunked/blobs/${b.digest}`)).status, 404);
    const put = await http('PUT', `${base}${p2.headers.location}?digest=${b.digest}`, { body: b.data.subarray(20_000), headers: { 'Content-Range': '20000-29999' } });
    assert.equal(put.status, 201);
    assert.ok((await http('GET', `${base}/v2/chunked/blobs/${b.digest}`)).body.equals(b.data));
    // the session is gone
    assert.equal(errorCode(await http('GET', `${base}${loc}`)), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('streamed PATCH without Content-Range, then PUT without a body', async () => {
    const b = randomBlob(50_000);
    const post = await http('POST', `${base}/v2/streamed/blobs/uploads/`);
    const p = await http('PATCH', `${base}${post.headers.location}`, { body: b.data });
    assert.equal(p.status, 202);
    const put = await http('PUT', `${base}${p.headers.location}?digest=${b.digest}`);
    assert.equal(put.status, 201);
  });

  it('DELETE cancels an upload session', async () => {
    const post = await http('POST', `${base}/v2/cancel/blobs/uploads/`);
    const loc = post.headers.location as string;
    await http('PATCH', `${base}${loc}`, { body: Buffer.alloc(100, 1) });
    assert.equal((await http('DELETE', `${base}${loc}`)).status, 204);
    const r = await http('GET', `${base}${loc}`);
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN');
  });

  it('PUT with a wrong digest: DIGEST_INVALID, nothing stored', async () => {
    const b = randomBlob(2000);
    const wrong = digestOf('something else');
    const r = await http('POST', `${base}/v2/wrongdigest/blobs/uploads/?digest=${wrong}`, { body: b.data });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'DIGEST_INVALID');
    assert.equal((await http('HEAD', `${base}/v2/wrongdigest/blobs/${wrong}`)).status, 404);
    assert.equal((await http('HEAD', `${base}/v2/wrongdigest/blobs/${b.digest}`)).status, 404);
  });

  it('cross-repository mount: 201 when the source holds the blob, 202 otherwise', async () => {
    const b = randomBlob(4000);
    await pushBlob(base, 'src/repo', b.data);
    const ok = await http('POST', `${base}/v2/dst/repo/blobs/uploads/?mount=${b.digest}&from=src/repo`);
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.location, `/v2/dst/repo/blobs/${b.digest}`);
    assert.ok((await http('GET', `${base}/v2/dst/repo/blobs/${b.digest}`)).body.equals(b.data));
    // the blob exists on this host, but not in "elsewhere": no mount, an upload session instead
    const fallback = await http('POST', `${base}/v2/other/repo/blobs/uploads/?mount=${b.digest}&from=elsewhere`);
    assert.equal(fallback.status, 202);
    assert.match(fallback.headers.location as string, /^\/v2\/other\/repo\/blobs\/uploads\//);
    assert.equal((await http('HEAD', `${base}/v2/other/repo/blobs/${b.digest}`)).status, 404);
  });

  it('manifests by tag and digest, HEAD, Docker-Content-Digest, content type kept', async () => {
    const img = makeImage();
    const put = await pushImage(base, 'app/web', img, 'v1');
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], img.digest);
    assert.equal(put.headers.location, `/v2/app/web/manifests/${img.digest}`);
    for (const ref of ['v1', img.digest]) {
      const g = await http('GET', `${base}/v2/app/web/manifests/${ref}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(g.status, 200);
      assert.ok(g.body.equals(img.manifest));
      assert.equal(g.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
      assert.equal(g.headers['docker-content-digest'], img.digest);
      const h = await http('HEAD', `${base}/v2/app/web/manifests/${ref}`);
      assert.equal(h.status, 200);
      assert.equal(h.headers['content-length'], String(img.manifest.length));
    }
    const missing = await http('GET', `${base}/v2/app/web/manifests/nope`);
    assert.equal(missing.status, 404);
    assert.equal(errorCode(missing), 'MANIFEST_UNKNOWN');
  });

  it('Docker schema2 manifests, manifest lists and OCI indexes', async () => {
    const a = makeImage({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    const b = makeImage();
    assert.equal((await pushImage(base, 'multi', a, a.digest)).status, 201);
    assert.equal((await pushImage(base, 'multi', b, b.digest)).status, 201);
    for (const [mt, childType] of [
      ['application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'],
      ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'],
    ]) {
      const index = Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: mt,
        manifests: [
          { mediaType: childType, digest: a.digest, size: a.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.digest, size: b.manifest.length, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      }));
      const put = await http('PUT', `${base}/v2/multi/manifests/list-${mt.includes('docker') ? 'docker' : 'oci'}`, { body: index, headers: { 'Content-Type': mt } });
      assert.equal(put.status, 201, put.text);
      const g = await http('GET', `${base}/v2/multi/manifests/${digestOf(index)}`);
      assert.equal(g.headers['content-type'], mt);
      assert.ok(g.body.equals(index));
    }
    // an index naming a manifest the repository lacks
    const orphan = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf('x'), size: 1 }] }));
    const r = await http('PUT', `${base}/v2/multi/manifests/orphan`, { body: orphan, headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'MANIFEST_BLOB_UNKNOWN');
  });

  it('tags list in lexical order with n/last pagination and Link headers', async () => {
    const img = makeImage({ layers: 1 });
    await pushImage(base, 'tagged', img, 'b');
    for (const t of ['a', 'c', 'd', 'e']) {
      const r = await http('PUT', `${base}/v2/tagged/manifests/${t}`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(r.status, 201);
    }
    const all = await http('GET', `${base}/v2/tagged/tags/list`);
    assert.deepEqual(all.json(), { name: 'tagged', tags: ['a', 'b', 'c', 'd', 'e'] });
    assert.equal(all.headers.link, undefined);
    const p1 = await http('GET', `${base}/v2/tagged/tags/list?n=2`);
    assert.deepEqual(p1.json().tags, ['a', 'b']);
    assert.equal(p1.headers.link, '</v2/tagged/tags/list?n=2&last=b>; rel="next"');
    const p2 = await http('GET', `${base}/v2/tagged/tags/list?n=2&last=b`);
    assert.deepEqual(p2.json().tags, ['c', 'd']);
    const p3 = await http('GET', `${base}/v2/tagged/tags/list?n=2&last=d`);
    assert.deepEqual(p3.json().tags, ['e']);
    assert.equal(p3.headers.link, undefined);
    const zero = await http('GET', `${base}/v2/tagged/tags/list?n=0`);
    assert.deepEqual(zero.json().tags, []);
    assert.equal(zero.headers.link, undefined);
    const lastOnly = await http('GET', `${base}/v2/tagged/tags/list?last=c`);
    assert.deepEqual(lastOnly.json().tags, ['d', 'e']);
    const unknown = await http('GET', `${base}/v2/never/pushed/tags/list`);
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
  });

  it('_catalog lists repositories with pagination', async () => {
    const all = await http('GET', `${base}/v2/_catalog`);
    const repos = all.json<{ repositories: string[] }>().repositories;
    assert.ok(repos.includes('app/web') && repos.includes('tagged'));
    assert.deepEqual([...repos].sort(), repos);
    const p1 = await http('GET', `${base}/v2/_catalog?n=1`);
    assert.deepEqual(p1.json().repositories, [repos[0]]);
    assert.equal(p1.headers.link, `</v2/_catalog?n=1&last=${encodeURIComponent(repos[0])}>; rel="next"`);
  });

  it('referrers: OCI-Subject on PUT, an index of referrers, artifactType filter with OCI-Filters-Applied', async () => {
    const subject = makeImage({ layers: 1 });
    await pushImage(base, 'refs', subject, 'v1');
    const subj = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: subject.digest, size: subject.manifest.length };
    const sig = makeImage({ layers: 1, subject: subj, artifactType: 'application/vnd.example.signature', annotations: { 'org.example.by': 'test' } });
    const sbom = makeImage({ layers: 1, subject: subj, artifactType: 'application/vnd.example.sbom' });
    const r1 = await pushImage(base, 'refs', sig, sig.digest);
    assert.equal(r1.status, 201);
    assert.equal(r1.headers['oci-subject'], subject.digest);
    await pushImage(base, 'refs', sbom, sbom.digest);
    const all = await http('GET', `${base}/v2/refs/referrers/${subject.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
    const idx = all.json<{ schemaVersion: number; mediaType: string; manifests: Array<{ digest: string; artifactType: string; size: number; annotations?: Record<string, string> }> }>();
    assert.equal(idx.schemaVersion, 2);
    assert.deepEqual(idx.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
    const s = idx.manifests.find((m) => m.digest === sig.digest)!;
    assert.equal(s.artifactType, 'application/vnd.example.signature');
    assert.equal(s.size, sig.manifest.length);
    assert.deepEqual(s.annotations, { 'org.example.by': 'test' });
    const filtered = await http('GET', `${base}/v2/refs/referrers/${subject.digest}?artifactType=application/vnd.example.sbom`);
    assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
    assert.deepEqual(filtered.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest), [sbom.digest]);
    // a subject with no referrers (or not pushed at all) is an empty index, never 404
    const none = await http('GET', `${base}/v2/refs/referrers/${digestOf('nothing')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
    assert.equal((await http('GET', `${base}/v2/refs/referrers/sha256:bad`)).status, 400);
    // deleting a referrer removes it from the list
    assert.equal((await http('DELETE', `${base}/v2/refs/manifests/${sbom.digest}`)).status, 202);
    const after1 = await http('GET', `${base}/v2/refs/referrers/${subject.digest}`);
    assert.deepEqual(after1.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest), [sig.digest]);
  });

  it('a manifest whose subject does not exist yet is accepted', async () => {
    const ghost = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digestOf('later'), size: 5 };
    const art = makeImage({ layers: 1, subject: ghost, artifactType: 'application/vnd.example.early' });
    const r = await pushImage(base, 'early', art, art.digest);
    assert.equal(r.status, 201);
    assert.equal(r.headers['oci-subject'], ghost.digest);
  });

  it('deleting tags, manifests and blobs', async () => {
    const img = makeImage({ layers: 1 });
    await pushImage(base, 'del', img, 'keep');
    await http('PUT', `${base}/v2/del/manifests/gone`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal((await http('DELETE', `${base}/v2/del/manifests/gone`)).status, 202);
    assert.deepEqual((await http('GET', `${base}/v2/del/tags/list`)).json().tags, ['keep']);
    assert.equal((await http('GET', `${base}/v2/del/manifests/keep`)).status, 200);
    assert.equal((await http('DELETE', `${base}/v2/del/manifests/${img.digest}`)).status, 202);
    assert.equal((await http('GET', `${base}/v2/del/manifests/keep`)).status, 404);
    assert.equal((await http('GET', `${base}/v2/del/manifests/${img.digest}`)).status, 404);
    const layer = digestOf(img.layers[0]);
    assert.equal((await http('DELETE', `${base}/v2/del/blobs/${layer}`)).status, 202);
    assert.equal((await http('HEAD', `${base}/v2/del/blobs/${layer}`)).status, 404);
    const again = await http('DELETE', `${base}/v2/del/blobs/${layer}`);
    assert.equal(again.status, 404);
    assert.equal(errorCode(again), 'BLOB_UNKNOWN');
    assert.equal((await http('DELETE', `${base}/v2/del/manifests/${img.digest}`)).status, 404);
  });

  it('manifests over 4 MiB get 413; 4 MiB is accepted', async () => {
    const cfg = randomBlob(10);
    await pushBlob(base, 'big', cfg.data);
    const manifestOf = (pad: number): Buffer => {
      const m = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg.digest, size: 10 }, layers: [], annotations: { pad: '' } };
      const base0 = Buffer.byteLength(JSON.stringify(m));
      m.annotations.pad = 'x'.repeat(pad - base0);
      return Buffer.from(JSON.stringify(m));
    };
    const ok = manifestOf(4 * 1024 * 1024);
    assert.equal(ok.length, 4 * 1024 * 1024);
    assert.equal((await http('PUT', `${base}/v2/big/manifests/ok`, { body: ok, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } })).status, 201);
    const tooBig = manifestOf(4 * 1024 * 1024 + 1);
    const r = await http('PUT', `${base}/v2/big/manifests/toobig`, { body: tooBig, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } }).catch(() => undefined);
    if (r) assert.equal(r.status, 413);
    assert.equal((await http('GET', `${base}/v2/big/manifests/toobig`)).status, 404);
  });

  it('PUT by digest must match the content', async () => {
    const img = makeImage({ layers: 1 });
    await pushImage(base, 'bydigest', img, 'x');
    const r = await http('PUT', `${base}/v2/bydigest/manifests/${digestOf('other')}`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(r.status, 400);
    assert.equal(errorCode(r), 'DIGEST_INVALID');
  });

  it('--read-only serves pulls and refuses pushes and deletes with UNSUPPORTED', async () => {
    const img = makeImage({ layers: 1 });
    await pushImage(base, 'ro/app', img, 'v1');
    const ro = await startRegistry(tmp.root, ['--read-only']);
    try {
      assert.equal((await http('GET', `${ro.base}/v2/ro/app/manifests/v1`)).status, 200);
      const push = await pushBlob(ro.base, 'ro/app', randomBlob(10).data);
      assert.equal(push.status, 405);
      assert.equal(errorCode(push), 'UNSUPPORTED');
      const del = await http('DELETE', `${ro.base}/v2/ro/app/manifests/v1`);
      assert.equal(del.status, 405);
      assert.equal((await http('GET', `${ro.base}/v2/ro/app/manifests/v1`)).status, 200);
    } finally {
      await ro.stop();
    }
  });

  it('unknown endpoints and methods answer with JSON errors', async () => {
    const r = await http('PATCH', `${base}/v2/x/manifests/latest`);
    assert.equal(r.status, 405);
    assert.equal(errorCode(r), 'UNSUPPORTED');
    assert.equal((await http('GET', `${base}/nothing`)).status, 404);
  });
});
