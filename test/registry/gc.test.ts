// Online garbage collection: `tug registry gc` and the server's background
// GC remove what nothing uses while pushes continue, and never a blob that an
// upload in flight or a just-written manifest needs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempRoot, tug, tugOk } from '../helpers.js';
import { digestOf, http, makeImage, pushBlob, pushImage, randomBlob, startRegistry, type ImageParts } from './helpers.js';

const blobFile = (root: string, d: string): string => join(root, 'blobs', 'sha256', d.slice(7));

/** Pushes with a chunked upload per blob (POST, PATCH, PUT) so uploads are in flight for a while. */
async function pushChunked(base: string, repo: string, img: ImageParts, tag: string): Promise<void> {
  for (const b of [img.config, ...img.layers]) {
    const head = await http('HEAD', `${base}/v2/${repo}/blobs/${digestOf(b)}`);
    if (head.status === 200) continue;
    const post = await http('POST', `${base}/v2/${repo}/blobs/uploads/`);
    let loc = post.headers.location as string;
    const half = Math.floor(b.length / 2);
    const p1 = await http('PATCH', `${base}${loc}`, { body: b.subarray(0, half), headers: { 'Content-Range': `0-${half - 1}` } });
    assert.equal(p1.status, 202, p1.text);
    loc = p1.headers.location as string;
    await new Promise((r) => setTimeout(r, 20));
    const put = await http('PUT', `${base}${loc}?digest=${digestOf(b)}`, { body: b.subarray(half), headers: { 'Content-Range': `${half}-${b.length - 1}` } });
    assert.equal(put.status, 201, put.text);
  }
  const r = await http('PUT', `${base}/v2/${repo}/manifests/${tag}`, { body: img.manifest, headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' } });
  assert.equal(r.status, 201, r.text);
}

async function pullAndVerify(base: string, repo: string, tag: string, img: ImageParts): Promise<void> {
  const m = await http('GET', `${base}/v2/${repo}/manifests/${tag}`);
  assert.equal(m.status, 200, `${repo}:${tag}`);
  assert.equal(digestOf(m.body), img.digest);
  for (const b of [img.config, ...img.layers]) {
    const r = await http('GET', `${base}/v2/${repo}/blobs/${digestOf(b)}`);
    assert.equal(r.status, 200, `${repo}:${tag} blob ${digestOf(b)}`);
    assert.equal(digestOf(r.body), digestOf(b));
  }
}

describe('registry garbage collection', () => {
  it('tug registry gc removes unreferenced blobs and keeps referenced ones', async () => {
    const tmp = tempRoot('tug-reg-gc-');
    const reg = await startRegistry(tmp.root);
    try {
      const keep = makeImage({ layers: 2 });
      const drop = makeImage({ layers: 2 });
      assert.equal((await pushImage(reg.base, 'gc/app', keep, 'v1')).status, 201);
      assert.equal((await pushImage(reg.base, 'gc/app', drop, 'v2')).status, 201);
      const orphan = randomBlob(5000);
      await pushBlob(reg.base, 'gc/app', orphan.data);
      // a blob shared by the kept image and the dropped one's repository stays
      assert.equal((await http('DELETE', `${reg.base}/v2/gc/app/manifests/${drop.digest}`)).status, 202);

      const dry = await tugOk(['registry', 'gc', '--grace', '0', '--dry-run'], { root: tmp.root });
      assert.match(dry.stdout, /would remove 4 repository links, 5 blobs/);
      assert.ok(existsSync(blobFile(tmp.root, orphan.digest)));

      const run = await tugOk(['registry', 'gc', '--grace', '0'], { root: tmp.root });
      assert.match(run.stdout, /removed 4 repository links, 5 blobs/);
      for (const b of [drop.manifest, drop.config, ...drop.layers, orphan.data]) assert.ok(!existsSync(blobFile(tmp.root, digestOf(b))), 'garbage removed');
      await pullAndVerify(reg.base, 'gc/app', 'v1', keep);
      assert.equal((await http('HEAD', `${reg.base}/v2/gc/app/blobs/${orphan.digest}`)).status, 404);

      // within the grace period nothing unreferenced goes
      const young = randomBlob(100);
      await pushBlob(reg.base, 'gc/app', young.data);
      await tugOk(['registry', 'gc', '--grace', '1h'], { root: tmp.root });
      assert.equal((await http('HEAD', `${reg.base}/v2/gc/app/blobs/${young.digest}`)).status, 200);
      // --delete-untagged drops manifests that no tag names
      await http('DELETE', `${reg.base}/v2/gc/app/manifests/v1`);
      const u = await tugOk(['registry', 'gc', '--grace', '0', '--delete-untagged'], { root: tmp.root });
      assert.match(u.stdout, /removed 1 untagged manifests/);
      assert.equal((await http('GET', `${reg.base}/v2/gc/app/manifests/${keep.digest}`)).status, 404);
      assert.ok(!existsSync(blobFile(tmp.root, keep.digest)));
    } finally {
      await reg.stop();
      tmp.cleanup();
    }
  });

  it('bad flags are refused', async () => {
    const tmp = tempRoot('tug-reg-gc-flags-');
    try {
      const r = await tug(['registry', 'gc', '--grace', 'soon'], { root: tmp.root });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^Error: invalid duration "soon"/);
      assert.doesNotMatch(r.stderr, /at /);
    } finally {
      tmp.cleanup();
    }
  });

  it('GC racing concurrent pushes never removes what an upload or a new manifest needs', async () => {
    const tmp = tempRoot('tug-reg-gcrace-');
    const GRACE = '2s';
    const reg = await startRegistry(tmp.root, ['--gc-interval', '150ms', '--gc-grace', GRACE, '--log-level', 'info']);
    try {
      // old garbage, some of which will be pushed again while GC runs
      const old = Array.from({ length: 12 }, () => randomBlob(20_000));
      for (const o of old) await pushBlob(reg.base, 'race/old', o.data);
      await new Promise((r) => setTimeout(r, 2300));

      let stop = false;
      let gcRuns = 0;
      const gcLoop = (async () => {
        while (!stop) {
          const r = await tug(['registry', 'gc', '--grace', GRACE], { root: tmp.root });
          assert.equal(r.code, 0, r.stderr);
          gcRuns++;
        }
      })();
      const pushed: Array<{ repo: string; tag: string; img: ImageParts }> = [];
      const pushers = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 5; i++) {
          const img = makeImage({ layers: 3, layerSize: 30_000 + i });
          // reuse an old (collectable) blob as a layer: a re-push racing its deletion
          const reused = old[(w * 5 + i) % old.length].data;
          const parsed = JSON.parse(img.manifest.toString()) as { layers: Array<{ digest: string; size: number }> };
          parsed.layers[0] = { ...parsed.layers[0], digest: digestOf(reused), size: reused.length };
          img.layers[0] = reused;
          img.manifest = Buffer.from(JSON.stringify(parsed));
          img.digest = digestOf(img.manifest);
          const repo = `race/w${w}`;
          await pushChunked(reg.base, repo, img, `t${i}`);
          pushed.push({ repo, tag: `t${i}`, img });
        }
      });
      await Promise.all(pushers);
      // on a slow machine the pushes can outrun the collectors: let each finish at least one pass
      for (let i = 0; i < 200 && (gcRuns < 2 || !/gc: \d+ links dropped/.test(reg.stderr())); i++) await new Promise((r) => setTimeout(r, 100));
      stop = true;
      await gcLoop;
      assert.ok(gcRuns >= 2, `gc ran ${gcRuns} times`);
      assert.match(reg.stderr(), /gc: \d+ links dropped/, 'background GC ran too');
      for (const p of pushed) await pullAndVerify(reg.base, p.repo, p.tag, p.img);
      // and the collectors did collect: old blobs that nobody pushed again are gone
      const reusedSet = new Set(pushed.map((p) => digestOf(p.img.layers[0])));
      const collected = old.filter((o) => !reusedSet.has(o.digest));
      for (const o of collected) assert.ok(!existsSync(blobFile(tmp.root, o.digest)), `old blob ${o.digest} collected`);
      // one more full collection after the grace period: everything pushed survives it
      await new Promise((r) => setTimeout(r, 2100));
      await tugOk(['registry', 'gc', '--grace', GRACE], { root: tmp.root });
      for (const p of pushed) await pullAndVerify(reg.base, p.repo, p.tag, p.img);
    } finally {
      await reg.stop();
      tmp.cleanup();
    }
  });
});
