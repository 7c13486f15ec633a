// Interoperability with real tools: what tug saves, podman loads and runs and
// skopeo copies with the same config digest; what skopeo and buildah write,
// tug loads with identical manifest and config digests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_TAR, haveBusybox, isRoot, tempRoot, tugOk, type TempRoot } from '../helpers.js';
import { PATH_ENV, pythonTar } from './util.js';

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const LOCK = '/tmp/tug-integration.lock';

/** Runs a command under the integration lock (podman/buildah use shared system storage). */
function locked(cmd: string, args: string[], opts: { input?: Buffer } = {}): string {
  return execFileSync('flock', [LOCK, cmd, ...args], { maxBuffer: 256 << 20, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

let R: TempRoot;
let work: string;
let id: string;
let saved: string;
const unique = `tug-interop-${randomBytes(4).toString('hex')}`;

before(async () => {
  R = tempRoot();
  work = mkdtempSync('/var/tmp/tug-image-interop-');
  if (!haveBusybox()) return;
  // a label unique to this run gives an image id nobody else has in podman's store
  id = (await tugOk(['import', '-c', 'CMD ["sh"]', '-c', `ENV ${PATH_ENV}`, '-c', `LABEL run=${unique}`, BUSYBOX_TAR, `${unique}:latest`], { root: R.root })).stdout.trim();
  saved = join(work, 'saved.tar');
  await tugOk(['save', '-o', saved, `${unique}:latest`], { root: R.root });
});
after(() => {
  R.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('podman loads what tug saves (same image id) and runs it', { skip: !haveBusybox() ? 'needs busybox rootfs' : !has('podman') ? 'needs podman' : !isRoot ? 'needs root' : false, timeout: 900_000 }, () => {
  // one hold of the integration lock for the whole podman session; the image is removed by id whatever happens
  const script = `
set -e
trap 'podman rmi -f ${id.slice(7)} >/dev/null 2>&1 || true' EXIT
podman load -i ${saved} 2>/dev/null
echo "ID=$(podman image inspect --format '{{.Id}}' ${id.slice(7)})"
podman run --rm --network none ${id.slice(7)} sh -c 'echo "hello from $(head -1 /etc/passwd | cut -d: -f1)"; echo "$PATH"'
podman run --rm --network none ${id.slice(7)} true && echo TRUE-OK
podman save -q -o ${work}/podman-docker.tar localhost/${unique}:latest
podman save -q --format oci-archive -o ${work}/podman-oci.tar localhost/${unique}:latest
`;
  const out = locked('bash', ['-c', script]);
  assert.match(out, new RegExp(`Loaded image: .*${unique}:latest`));
  assert.match(out, new RegExp(`^ID=${id.slice(7)}$`, 'm'));
  assert.match(out, new RegExp(`^hello from root\n${PATH_ENV.slice(5).replace(/\//g, '\\/')}\n`, 'm'));
  assert.match(out, /^TRUE-OK$/m);
  assert.notEqual(spawnSync('podman', ['image', 'exists', id.slice(7)]).status, 0, 'the image was removed from podman again');
});

test('what podman saves (docker-archive and oci-archive) loads into tug as the same image', { skip: !haveBusybox() || !has('podman') || !isRoot ? 'needs the podman test before it' : false }, async () => {
  for (const f of ['podman-docker.tar', 'podman-oci.tar']) {
    const fresh = tempRoot();
    try {
      const out = (await tugOk(['load', '-i', join(work, f)], { root: fresh.root })).stdout;
      assert.equal(out, `Loaded image: localhost/${unique}:latest\n`, f);
      assert.equal((await tugOk(['inspect', '-f', '{{.Id}} {{json .Config.Cmd}}', `localhost/${unique}`], { root: fresh.root })).stdout.trim(), `${id} ["sh"]`, f);
    } finally {
      fresh.cleanup();
    }
  }
});

test('skopeo copy docker-archive:(tug save) → oci: keeps the config digest; its oci-archive loads back with skopeo\'s manifest digest', { skip: !haveBusybox() ? 'needs busybox rootfs' : !has('skopeo') ? 'needs skopeo' : false }, async () => {
  const layout = join(work, 'oci-layout');
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${saved}`, `oci:${layout}:latest`]);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  assert.equal(manifest.config.digest, id);

  const archive = join(work, 'skopeo-oci.tar');
  execFileSync('skopeo', ['copy', '-q', `docker-archive:${saved}`, `oci-archive:${archive}:${unique}:v2`]);
  const idx = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json']).toString());
  const fresh = tempRoot();
  try {
    const out = (await tugOk(['load', '-i', archive], { root: fresh.root })).stdout;
    assert.equal(out, `Loaded image: ${unique}:v2\n`);
    const got = (await tugOk(['inspect', '-f', '{{.Id}} {{.Descriptor.digest}}', `${unique}:v2`], { root: fresh.root })).stdout.trim();
    assert.equal(got, `${id} ${idx.manifests[0].digest}`);
  } finally {
    fresh.cleanup();
  }
});

/** An OCI image layout written by hand (python's tarfile + gzip(1)), independent of tug. */
function handMadeLayout(dir: string): { manifestDigest: string; configDigest: string } {
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const put = (b: Buffer): { digest: string; size: number } => {
    const digest = sha(b);
    writeFileSync(join(dir, 'blobs/sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const tarFile = join(dir, '..', 'hand-layer.tar');
  pythonTar(tarFile, [{ name: 'hello', dir: true }, { name: 'hello/world.txt', data: 'made by hand\n' }]);
  const tar = readFileSync(tarFile);
  const gz = execFileSync('gzip', ['-n', '-c', tarFile]);
  const layer = put(gz);
  const config = put(Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello/world.txt'] },
    rootfs: { type: 'layers', diff_ids: [sha(tar)] }, history: [{ created_by: 'by hand' }],
  })));
  const manifest = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'hand' } }],
  }));
  return { manifestDigest: manifest.digest, configDigest: config.digest };
}

test('archives skopeo makes from a hand-made OCI layout load with identical digests (oci-archive and docker-archive)', { skip: !has('skopeo') ? 'needs skopeo' : false }, async () => {
  const layout = join(work, 'hand');
  const want = handMadeLayout(layout);
  const ociArchive = join(work, 'hand-oci.tar');
  const dockerArchive = join(work, 'hand-docker.tar');
  execFileSync('skopeo', ['copy', '-q', `oci:${layout}:hand`, `oci-archive:${ociArchive}:localhost/hand:1`]);
  execFileSync('skopeo', ['copy', '-q', `oci:${layout}:hand`, `docker-archive:${dockerArchive}:localhost/hand:2`]);
  const fresh = tempRoot();
  try {
    assert.equal((await tugOk(['load', '-i', ociArchive], { root: fresh.root })).stdout, 'Loaded image: localhost/hand:1\n');
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}} {{.Descriptor.digest}}', 'localhost/hand:1'], { root: fresh.root })).stdout.trim(), `${want.configDigest} ${want.manifestDigest}`);
    assert.equal((await tugOk(['load', '-i', dockerArchive], { root: fresh.root })).stdout, 'Loaded image: localhost/hand:2\n');
    // a docker-archive carries no manifest, but the config (the image id) is the same
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}}', 'localhost/hand:2'], { root: fresh.root })).stdout.trim(), want.configDigest);
    assert.deepEqual((await tugOk(['history', '--format', '{{.CreatedBy}}', 'localhost/hand:2'], { root: fresh.root })).stdout, 'by hand\n');
  } finally {
    fresh.cleanup();
  }
});

test('buildah: an image it commits and pushes as oci-archive loads into tug with the same digests', { skip: !has('buildah') ? 'needs buildah' : !isRoot ? 'needs root' : false, timeout: 900_000 }, async () => {
  const name = `localhost/${unique}-buildah:1`;
  const file = join(work, 'hello.txt');
  writeFileSync(file, 'from buildah\n');
  const archive = join(work, 'buildah.tar');
  // one hold of the integration lock; container and image removed whatever happens
  const script = `
set -e
ctr=$(buildah from scratch)
img=
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true; [ -z "$img" ] || buildah rmi -f "$img" >/dev/null 2>&1 || true' EXIT
buildah copy "$ctr" ${file} /hello.txt >/dev/null
buildah config --cmd /hello.txt "$ctr"
img=$(buildah commit -q "$ctr" ${name})
buildah push -q ${name} oci-archive:${archive}:${name}
`;
  locked('bash', ['-c', script]);
  const idx = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json']).toString());
  const mdesc = idx.manifests[0];
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, `blobs/sha256/${mdesc.digest.slice(7)}`]).toString());
  const fresh = tempRoot();
  try {
    await tugOk(['load', '-i', archive], { root: fresh.root });
    const got = (await tugOk(['inspect', '-f', '{{.Id}} {{.Descriptor.digest}}', name], { root: fresh.root })).stdout.trim();
    assert.equal(got, `${manifest.config.digest} ${mdesc.digest}`);
  } finally {
    fresh.cleanup();
  }
});
