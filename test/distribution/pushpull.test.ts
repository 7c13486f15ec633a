// tug push/pull against Debian's docker-registry (the CNCF distribution
// registry), checked with skopeo: the digest tug prints is the sha256 of the
// manifest skopeo reads back; tug pulls what skopeo pushed, including one
// platform out of a two-platform index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { haveBusybox, tempRoot, tug, type TempRoot } from '../helpers.js';
import { haveDockerRegistry, startDockerRegistry, type RunningRegistry } from './fixture.js';
import { seedBusybox } from './seed.js';
import { ImageService } from '../../src/image/service.js';
import { closeAll } from '../../src/meta/db.js';

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const skopeoRaw = (ref: string): Buffer => execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
const ready = haveDockerRegistry() && haveBusybox();

test('push and pull against docker-registry', { skip: !ready && 'needs docker-registry and the busybox tarball' }, async (t) => {
  const reg: RunningRegistry = await startDockerRegistry();
  const roots: TempRoot[] = [];
  const newRoot = (): string => {
    const r = tempRoot('tug-dist-');
    roots.push(r);
    return r.root;
  };
  const cfg = mkdtempSync('/var/tmp/tug-dockercfg-');
  const env = { DOCKER_CONFIG: cfg };
  t.after(async () => {
    closeAll();
    await reg.stop();
    for (const r of roots) r.cleanup();
    rmSync(cfg, { recursive: true, force: true });
  });
  const H = reg.host;
  const src = newRoot();
  await seedBusybox(src, [`${H}/test/busybox:v1`, `${H}/other/bb:v1`]);
  let pushed = { digest: '', size: 0 };

  await t.test('push prints docker\'s lines and the manifest skopeo reads has that digest', async () => {
    const r = await tug(['push', `${H}/test/busybox:v1`], { root: src, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${H}/test/busybox\\]$`, 'm'));
    assert.match(r.stdout, /^[0-9a-f]{12}: Pushed$/m);
    const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const raw = skopeoRaw(`${H}/test/busybox:v1`);
    assert.equal(sha(raw), m[1]);
    assert.equal(raw.length, Number(m[2]));
    pushed = { digest: m[1], size: Number(m[2]) };
  });

  await t.test('a second push finds every layer already there', async () => {
    const r = await tug(['push', `${H}/test/busybox:v1`], { root: src, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{12}: Layer already exists$/m);
    assert.doesNotMatch(r.stdout, /Pushed/);
  });

  await t.test('pushing to another repository mounts the blobs', async () => {
    const r = await tug(['push', `${H}/other/bb:v1`], { root: src, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9a-f]{12}: Mounted from test\/busybox$/m);
    assert.equal(sha(skopeoRaw(`${H}/other/bb:v1`)), pushed.digest);
  });

  await t.test('pull by tag into a fresh root', async () => {
    const dst = newRoot();
    const r = await tug(['pull', `${H}/test/busybox:v1`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^v1: Pulling from test\/busybox$/m);
    assert.match(r.stdout, /^[0-9a-f]{12}: Pull complete$/m);
    assert.match(r.stdout, new RegExp(`^Digest: ${pushed.digest}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^Status: Downloaded newer image for ${H}/test/busybox:v1$`, 'm'));
    const manifest = JSON.parse(skopeoRaw(`${H}/test/busybox:v1`).toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const img = ImageService.open(dst).resolve(`${H}/test/busybox:v1`);
    assert.equal(img.id, manifest.config.digest);
    assert.equal(img.manifestDigest, pushed.digest);
    for (const l of manifest.layers) {
      const blob = readFileSync(join(dst, 'blobs', 'sha256', l.digest.slice(7)));
      assert.equal(sha(blob), l.digest);
    }
    const again = await tug(['pull', `${H}/test/busybox:v1`], { root: dst, env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^Status: Image is up to date for ${H}/test/busybox:v1$`, 'm'));
    assert.match(again.stdout, /Already exists/);
  });

  await t.test('pull by digest, and -q prints only the reference', async () => {
    const dst = newRoot();
    const r = await tug(['pull', '-q', `${H}/test/busybox@${pushed.digest}`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${H}/test/busybox@${pushed.digest}\n`);
    const img = ImageService.open(dst).resolve(`${H}/test/busybox@${pushed.digest}`);
    assert.equal(img.manifestDigest, pushed.digest);
  });

  await t.test('manifest inspect prints the manifest skopeo reads', async () => {
    const r = await tug(['manifest', 'inspect', `${H}/test/busybox:v1`], { root: src, env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), JSON.parse(skopeoRaw(`${H}/test/busybox:v1`).toString()));
    assert.match(r.stdout, /^ {3}"schemaVersion": 2,$/m);
    const v = await tug(['manifest', 'inspect', '--verbose', `${H}/test/busybox:v1`], { root: src, env });
    assert.equal(v.code, 0, v.stderr);
    const doc = JSON.parse(v.stdout) as { Ref: string; Descriptor: { digest: string; size: number } };
    assert.equal(doc.Ref, `${H}/test/busybox@${pushed.digest}`);
    assert.equal(doc.Descriptor.digest, pushed.digest);
    assert.equal(doc.Descriptor.size, pushed.size);
  });

  await t.test('push -a pushes every local tag of the repository', async () => {
    const images = ImageService.open(src);
    const img = images.resolve(`${H}/test/busybox:v1`);
    images.tag(img, `${H}/all/bb:one`);
    images.tag(img, `${H}/all/bb:two`);
    const r = await tug(['push', '-a', `${H}/all/bb`], { root: src, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^one: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    assert.match(r.stdout, /^two: digest: sha256:[0-9a-f]{64} size: \d+$/m);
    const tags = JSON.parse(execFileSync('skopeo', ['list-tags', '--tls-verify=false', `docker://${H}/all/bb`]).toString()) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ['one', 'two']);
  });

  await t.test('-a pulls every tag', async () => {
    execFileSync('skopeo', ['copy', '-q', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${H}/test/busybox:v1`, `docker://${H}/test/busybox:v2`]);
    const dst = newRoot();
    const r = await tug(['pull', '-a', `${H}/test/busybox`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    const names = ImageService.open(dst).list().flatMap((i) => i.names).sort();
    assert.deepEqual(names, [`${H}/test/busybox:v1`, `${H}/test/busybox:v2`]);
  });

  await t.test('a skopeo-pushed two-platform index: --platform picks the entry', async () => {
    // an OCI layout with one layer and two configs (amd64, arm64), pushed by skopeo --all
    const layout = mkdtempSync('/var/tmp/tug-oci-');
    t.after(() => rmSync(layout, { recursive: true, force: true }));
    const images = ImageService.open(src);
    const img = images.resolve(`${H}/test/busybox:v1`);
    const man = JSON.parse((await images.content.readBytes(img.manifestDigest)).toString()) as { config: { digest: string }; layers: Array<{ digest: string; size: number; mediaType: string }> };
    const cfg = JSON.parse((await images.content.readBytes(img.id)).toString()) as Record<string, unknown>;
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    const put = (b: Buffer): { digest: string; size: number } => {
      const d = sha(b);
      writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), b);
      return { digest: d, size: b.length };
    };
    for (const l of man.layers) put(await images.content.readBytes(l.digest, 1 << 30));
    const entries = ['amd64', 'arm64'].map((arch) => {
      const c = put(Buffer.from(JSON.stringify({ ...cfg, architecture: arch, ...(arch === 'arm64' ? { variant: 'v8' } : {}) })));
      const m = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c }, layers: man.layers })));
      return { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, platform: { os: 'linux', architecture: arch, ...(arch === 'arm64' ? { variant: 'v8' } : {}) } };
    });
    const index = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries })));
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...index, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }] }));
    execFileSync('skopeo', ['copy', '-q', '--all', '--dest-tls-verify=false', `oci:${layout}:multi`, `docker://${H}/test/multi:1`]);
    assert.equal(sha(skopeoRaw(`${H}/test/multi:1`)), index.digest);

    const dst = newRoot();
    const r = await tug(['pull', '--platform', 'linux/arm64', `${H}/test/multi:1`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Digest: ${index.digest}$`, 'm'));
    const pulled = ImageService.open(dst).resolve(`${H}/test/multi:1`);
    assert.equal(pulled.manifestDigest, entries[1].digest);
    const dst2 = newRoot();
    const r2 = await tug(['pull', `${H}/test/multi:1`], { root: dst2, env });
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(ImageService.open(dst2).resolve(`${H}/test/multi:1`).manifestDigest, entries[0].digest);
    const r3 = await tug(['pull', '--platform', 'linux/s390x', `${H}/test/multi:1`], { root: newRoot(), env });
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /^Error: no matching manifest for linux\/s390x in the manifest list entries/m);
    assert.match(r3.stderr, /available platforms: linux\/amd64, linux\/arm64\/v8/);
  });

  await t.test('errors: unknown tag, unknown repository, refused connection — nothing recorded', async () => {
    const dst = newRoot();
    let r = await tug(['pull', `${H}/test/busybox:nope`], { root: dst, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error: manifest for ${H}/test/busybox:nope not found: manifest unknown: manifest unknown$`, 'm'));
    assert.match(r.stderr, /^Hint: /m);
    // distribution 2.8 answers MANIFEST_UNKNOWN for an unknown repository too; docker prints the same line
    r = await tug(['pull', `${H}/no/such:1`], { root: dst, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error: manifest for ${H}/no/such:1 not found: manifest unknown: manifest unknown$`, 'm'));
    r = await tug(['pull', '127.0.0.1:1/x:1'], { root: dst, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: Get "http:\/\/127\.0\.0\.1:1\/v2\/x\/manifests\/1": dial tcp 127\.0\.0\.1:1: connect: connection refused$/m);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(ImageService.open(dst).list().length, 0);
    r = await tug(['push', `${H}/never/tagged:1`], { root: dst, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error: An image does not exist locally with the tag: ${H}/never/tagged:1$`, 'm'));
  });

  await t.test('chunked upload of a blob larger than the chunk size', async () => {
    const images = ImageService.open(src);
    // a registry without the blob anywhere else: use a second registry so nothing can be mounted
    const reg2 = await startDockerRegistry();
    t.after(() => reg2.stop());
    images.tag(images.resolve(`${H}/test/busybox:v1`), `${reg2.host}/chunked/bb:v1`);
    const p = await tug(['push', `${reg2.host}/chunked/bb:v1`], { root: src, env: { ...env, TUG_PUSH_CHUNK_SIZE: String(256 * 1024) } });
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Pushed/);
    assert.equal(sha(skopeoRaw(`${reg2.host}/chunked/bb:v1`)), pushed.digest);
    // the registry saw several PATCH requests for the layer
    const patches = reg2.log().split('\n').filter((l) => /"PATCH \/v2\/chunked\/bb\/blobs\/uploads\//.test(l));
    assert.ok(patches.length >= 2, `expected chunked PATCHes, saw ${patches.length}`);
    // and the pushed content pulls back intact
    const dst = newRoot();
    const pl = await tug(['pull', `${reg2.host}/chunked/bb:v1`], { root: dst, env });
    assert.equal(pl.code, 0, pl.stderr);
    assert.ok(existsSync(join(dst, 'blobs')));
    assert.deepEqual(readdirSync(join(dst, 'ingest')), []);
  });
});
