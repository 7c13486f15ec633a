// Real clients against a real `tug registry serve`: skopeo copy in both
// directions (oci and docker-archive transports), podman push/pull, and
// skopeo --creds against htpasswd Basic auth and the Bearer token flow. Every
// check is a digest equality between what the client had and what came back.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { readdirSync } from 'node:fs';
import { BUSYBOX_TAR, tempRoot, tug, type TempRoot } from '../helpers.js';
import { http, startRegistry, type RegistryProc } from './helpers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

const have = (bin: string): boolean => ['/usr/bin', '/usr/local/bin', '/bin'].some((d) => existsSync(join(d, bin)));
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Layout {
  dir: string;
  manifestDigest: string;
  manifest: { config: { digest: string }; layers: Array<{ digest: string }> };
}

function readLayout(dir: string, tag: string): Layout {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)!.digest;
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), 'utf8')) as Layout['manifest'];
  return { dir, manifestDigest: d, manifest };
}

describe('interop with skopeo and podman', { skip: !have('skopeo') && 'skopeo not installed' }, () => {
  let tmp: TempRoot;
  let reg: RegistryProc;
  let src: Layout;
  let archive: string;
  before(async () => {
    tmp = tempRoot('tug-reg-interop-');
    reg = await startRegistry(tmp.root, [], {});
    // a real image: the busybox rootfs (or a generated tar) plus a random file so its IDs are unique to this run
    const work = join(tmp.root, 'work');
    mkdirSync(work, { recursive: true });
    const tarball = join(work, 'layer.tar.gz');
    const base = existsSync(BUSYBOX_TAR) ? readFileSync(BUSYBOX_TAR) : Buffer.alloc(0);
    const nonce = randomBytes(16).toString('hex');
    const extra = makeTar(`nonce-${nonce}`, Buffer.from(nonce));
    writeFileSync(tarball, gzipSync(base.length ? Buffer.concat([base.subarray(0, base.length - 1024), extra]) : extra, { level: 1 }));
    await ok('skopeo', ['copy', '--insecure-policy', `tarball:${tarball}`, `oci:${join(work, 'src')}:v1`]);
    src = readLayout(join(work, 'src'), 'v1');
    archive = join(work, 'image.tar');
    await ok('skopeo', ['copy', '--insecure-policy', `oci:${src.dir}:v1`, `docker-archive:${archive}:interop/archive:v1`]);
  });
  after(async () => {
    await reg.stop();
    tmp.cleanup();
  });

  it('skopeo copy oci → tug registry → oci keeps every digest', async () => {
    const digestFile = join(tmp.root, 'work', 'pushed.digest');
    await ok('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--digestfile', digestFile, `oci:${src.dir}:v1`, `docker://${reg.host}/interop/oci:v1`]);
    assert.equal(readFileSync(digestFile, 'utf8').trim(), src.manifestDigest);
    const m = await http('GET', `${reg.base}/v2/interop/oci/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(m.headers['docker-content-digest'], src.manifestDigest);
    assert.equal(sha(m.body), src.manifestDigest);
    const out = join(tmp.root, 'work', 'back');
    await ok('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', `docker://${reg.host}/interop/oci:v1`, `oci:${out}:v1`]);
    const back = readLayout(out, 'v1');
    assert.equal(back.manifestDigest, src.manifestDigest);
    for (const l of back.manifest.layers) assert.equal(sha(readFileSync(join(out, 'blobs', 'sha256', l.digest.slice(7)))), l.digest);
    const raw = await ok('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/interop/oci:v1`]);
    assert.equal(sha(raw), src.manifestDigest);
  });

  it('one copy per host: `tug pull` into the registry\'s own root stores nothing twice, and registry gc keeps the image\'s blobs', async () => {
    const blobs = (): string[] => readdirSync(join(tmp.root, 'blobs', 'sha256')).sort();
    const before = blobs();
    assert.ok(before.includes(src.manifestDigest.slice(7)), 'pushed by the previous test');
    const pulled = await tug(['pull', '-q', `${reg.host}/interop/oci:v1`], { root: tmp.root });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.deepEqual(blobs(), before, 'the pull found every blob already in the shared store');
    // the registry lets go of the image; the image store still holds it
    assert.equal((await http('DELETE', `${reg.base}/v2/interop/oci/manifests/${src.manifestDigest}`)).status, 202);
    const gc = await tug(['registry', 'gc', '--grace', '0'], { root: tmp.root });
    assert.equal(gc.code, 0, gc.stderr);
    for (const d of [src.manifestDigest, src.manifest.config.digest, ...src.manifest.layers.map((l) => l.digest)]) {
      assert.ok(existsSync(join(tmp.root, 'blobs', 'sha256', d.slice(7))), `${d} kept for the image store`);
    }
    // push it back for the tests that follow
    await ok('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', `oci:${src.dir}:v1`, `docker://${reg.host}/interop/oci:v1`]);
  });

  it('skopeo copy docker-archive → tug registry → docker-archive keeps config and layer digests', async () => {
    const digestFile = join(tmp.root, 'work', 'archive.digest');
    await ok('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--digestfile', digestFile, `docker-archive:${archive}`, `docker://${reg.host}/interop/archive:v1`]);
    const pushed = readFileSync(digestFile, 'utf8').trim();
    const m = await http('GET', `${reg.base}/v2/interop/archive/manifests/v1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    assert.equal(m.status, 200);
    assert.equal(sha(m.body), pushed);
    assert.equal(m.headers['content-type'], 'application/vnd.docker.distribution.manifest.v2+json');
    const manifest = JSON.parse(m.text) as { config: { digest: string } };
    const out = join(tmp.root, 'work', 'back.tar');
    await ok('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', `docker://${reg.host}/interop/archive:v1`, `docker-archive:${out}:interop/archive:v1`]);
    const inOrig = JSON.parse(await ok('skopeo', ['inspect', '--config', '--raw', `docker-archive:${archive}`])) as { rootfs: { diff_ids: string[] } };
    const cfgBack = await ok('skopeo', ['inspect', '--config', '--raw', `docker-archive:${out}`]);
    assert.equal(sha(cfgBack), manifest.config.digest);
    assert.deepEqual((JSON.parse(cfgBack) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, inOrig.rootfs.diff_ids);
    // a second repository on the same registry: skopeo may mount; either way the digests hold
    await ok('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/interop/archive:v1`, `docker://${reg.host}/interop/copy:v1`]);
    const c = await http('HEAD', `${reg.base}/v2/interop/copy/manifests/v1`);
    assert.equal(c.headers['docker-content-digest'], pushed);
  });

  it('podman push and pull against tug registry (digest and image ID equal)', { skip: !have('podman') && 'podman not installed' }, async () => {
    // podman shares host storage with other suites: hold the integration lock, touch only our own image (by ID)
    const name = `localhost/tug-interop-${randomBytes(4).toString('hex')}:v1`;
    const remote = `${reg.host}/interop/podman:v1`;
    const script = `
      set -e
      skopeo copy -q --insecure-policy oci:${src.dir}:v1 containers-storage:${name}
      id=$(podman image inspect --format '{{.Id}}' ${name})
      cleanup() { podman rmi -f "$id" >/dev/null 2>&1 || true; }
      trap cleanup EXIT
      podman push -q --tls-verify=false --digestfile ${tmp.root}/work/podman.digest ${name} ${remote}
      podman rmi -f "$id" >/dev/null
      podman pull -q --tls-verify=false ${remote} >/dev/null
      echo "id=$id"
      echo "pulled=$(podman image inspect --format '{{.Id}}' ${remote})"
      echo "digest=$(podman image inspect --format '{{.Digest}}' ${remote})"
    `;
    // waiting for the lock (other suites' containers) may take a while
    const r = await run('flock', ['/tmp/tug-integration.lock', 'bash', '-c', script], 900_000);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    const kv = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=') as [string, string]));
    assert.equal(kv.pulled, kv.id, 'the pulled image has the pushed image ID');
    const pushed = readFileSync(join(tmp.root, 'work', 'podman.digest'), 'utf8').trim();
    const m = await http('HEAD', `${reg.base}/v2/interop/podman/manifests/v1`);
    assert.equal(m.headers['docker-content-digest'], pushed);
    assert.equal(kv.digest, pushed);
  });

  it('skopeo --creds against htpasswd Basic auth and the Bearer token flow', async () => {
    const pw = join(tmp.root, 'htpasswd');
    writeFileSync(pw, `ci:${bcrypt.hashSync('ci-secret', 5)}\n`);
    for (const mode of ['basic', 'token']) {
      const secured = await startRegistry(tmp.root, ['--htpasswd', pw, '--auth', mode]);
      try {
        const dest = `docker://${secured.host}/secure/${mode}:v1`;
        const denied = await run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', `oci:${src.dir}:v1`, dest]);
        assert.notEqual(denied.code, 0, `${mode}: push without credentials must fail`);
        assert.match(denied.stderr, /unauthorized|authentication required/i);
        const wrong = await run('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--dest-creds', 'ci:wrong', `oci:${src.dir}:v1`, dest]);
        assert.notEqual(wrong.code, 0);
        const digestFile = join(tmp.root, 'work', `${mode}.digest`);
        await ok('skopeo', ['copy', '--insecure-policy', '--dest-tls-verify=false', '--dest-creds', 'ci:ci-secret', '--digestfile', digestFile, `oci:${src.dir}:v1`, dest]);
        assert.equal(readFileSync(digestFile, 'utf8').trim(), src.manifestDigest);
        const raw = await ok('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'ci:ci-secret', dest]);
        assert.equal(sha(raw), src.manifestDigest);
        const out = join(tmp.root, 'work', `back-${mode}`);
        await ok('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', '--src-creds', 'ci:ci-secret', dest, `oci:${out}:v1`]);
        assert.equal(readLayout(out, 'v1').manifestDigest, src.manifestDigest);
        // to another repository of the same registry: skopeo asks for pull on the source too, and mounts (201)
        await ok('skopeo', ['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', 'ci:ci-secret', '--dest-creds', 'ci:ci-secret', dest, `docker://${secured.host}/secure/${mode}-copy:v1`]);
        assert.match(secured.stderr(), new RegExp(`POST /v2/secure/${mode}-copy/blobs/uploads/\\?from=secure%2F${mode}&mount=sha256%3A[0-9a-f]{64}" 201`));
      } finally {
        await secured.stop();
      }
    }
  });

  it('TLS: skopeo with --dest-cert-dir against --tls-cert/--tls-key', { skip: !have('openssl') && 'openssl not installed' }, async () => {
    const certDir = join(tmp.root, 'certs');
    mkdirSync(certDir, { recursive: true });
    await ok('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')]);
    const secured = await startRegistry(tmp.root, ['--tls-cert', join(certDir, 'cert.pem'), '--tls-key', join(certDir, 'key.pem')]);
    try {
      const clientDir = join(tmp.root, 'client-certs');
      mkdirSync(clientDir, { recursive: true });
      copyFileSync(join(certDir, 'cert.pem'), join(clientDir, 'ca.crt'));
      const digestFile = join(tmp.root, 'work', 'tls.digest');
      await ok('skopeo', ['copy', '--insecure-policy', '--dest-cert-dir', clientDir, '--digestfile', digestFile, `oci:${src.dir}:v1`, `docker://${secured.host}/tls/app:v1`]);
      assert.equal(readFileSync(digestFile, 'utf8').trim(), src.manifestDigest);
      const raw = await ok('skopeo', ['inspect', '--raw', '--cert-dir', clientDir, `docker://${secured.host}/tls/app:v1`]);
      assert.equal(sha(raw), src.manifestDigest);
    } finally {
      await secured.stop();
    }
  });
});

/** A one-file ustar archive (with its two zero end blocks). */
function makeTar(name: string, data: Buffer): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('14000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)]);
}
