// Manifests and configs written by real peers (buildah, skopeo) must parse;
// malformed ones must fail with one clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaType } from '../../src/oci/mediatypes.js';
import {
  checkManifestConfig, descriptorOf, detectMediaType, parseImageConfig, parseIndex, parseManifest, parseManifestOrIndex, validateDescriptor,
} from '../../src/oci/validate.js';
import { TugError } from '../../src/util/errors.js';
import { BUSYBOX_TAR, tempRoot, type TempRoot } from '../helpers.js';

const have = existsSync('/usr/bin/buildah') && existsSync('/usr/bin/skopeo') && existsSync(BUSYBOX_TAR) && process.getuid?.() === 0;
let tmp: TempRoot | undefined;

before(() => {
  if (!have) return;
  tmp = tempRoot('tug-validate-');
  const b = (...args: string[]) => execFileSync('buildah', ['--root', join(tmp!.root, 'root'), '--runroot', join(tmp!.root, 'run'), '--storage-driver', 'vfs', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  b('from', '--name', 'c1', 'scratch');
  b('add', 'c1', BUSYBOX_TAR, '/');
  b('config', '--cmd', 'sh', '--env', 'A=1', '--label', 'x=y', 'c1');
  b('commit', '-q', 'c1', `oci:${join(tmp.root, 'oci')}:latest`);
  b('rm', '-a');
  execFileSync('skopeo', ['copy', '-q', '--format', 'v2s2', `oci:${join(tmp.root, 'oci')}:latest`, `dir:${join(tmp.root, 'd2')}`]);
});

after(() => tmp?.cleanup());

const blob = (dir: string, digest: string) => readFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)));

test('an OCI layout written by buildah: index, manifest, config', (t) => {
  if (!have) return t.skip('needs root, buildah, skopeo and the busybox rootfs');
  const dir = join(tmp!.root, 'oci');
  const indexBytes = readFileSync(join(dir, 'index.json'));
  assert.equal(detectMediaType(indexBytes), MediaType.OciIndex);
  const index = parseIndex(indexBytes);
  const md = index.manifests[0];
  const mBytes = blob(dir, md.digest);
  assert.deepEqual(descriptorOf(mBytes, md.mediaType, { annotations: md.annotations }), md, 'descriptorOf matches what buildah wrote');
  const parsed = parseManifestOrIndex(mBytes, md.mediaType);
  assert.equal(parsed.kind, 'manifest');
  const manifest = parseManifest(mBytes, MediaType.OciManifest);
  assert.equal(manifest.layers.length, 1);
  const cBytes = blob(dir, manifest.config.digest);
  assert.equal(descriptorOf(cBytes, manifest.config.mediaType).digest, manifest.config.digest);
  const config = parseImageConfig(cBytes);
  assert.deepEqual(config.config?.Cmd, ['sh']);
  assert.ok(config.config?.Env?.includes('A=1'));
  assert.equal(config.config?.Labels?.x, 'y');
  checkManifestConfig(manifest, config);
});

test('a Docker schema2 manifest written by skopeo', (t) => {
  if (!have) return t.skip('needs root, buildah, skopeo and the busybox rootfs');
  const dir = join(tmp!.root, 'd2');
  const bytes = readFileSync(join(dir, 'manifest.json'));
  assert.equal(detectMediaType(bytes), MediaType.DockerManifest);
  const m = parseManifest(bytes);
  assert.equal(m.config.mediaType, MediaType.DockerConfig);
  const config = parseImageConfig(readFileSync(join(dir, m.config.digest.slice(7))));
  checkManifestConfig(m, config);
  // The same bytes announced as an index are refused.
  assert.throws(() => parseIndex(bytes), TugError);
});

const H = 'sha256:' + 'a'.repeat(64);
const ok = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, digest: H, size: 7 },
  layers: [{ mediaType: MediaType.OciLayerGzip, digest: H, size: 32654 }],
};

function rejects(fn: () => unknown, re: RegExp, code = 'INVALID_ARGUMENT'): void {
  assert.throws(fn, (e: unknown) => e instanceof TugError && e.code === code && re.test(e.message) && !!e.hint, String(re));
}

test('malformed manifests fail with one clear error', () => {
  assert.equal(parseManifest(JSON.stringify(ok)).layers[0].size, 32654);
  rejects(() => parseManifest('{not json'), /not valid JSON/);
  rejects(() => parseManifest('[]'), /JSON object/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, schemaVersion: 3 })), /schemaVersion must be 2/);
  rejects(() => parseManifest(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] })), /schema 1/, 'UNSUPPORTED');
  rejects(() => parseManifest(JSON.stringify({ ...ok, config: { ...ok.config, digest: 'sha256:abc' } })), /config.*invalid digest/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, layers: [{ ...ok.layers[0], size: -1 }] })), /layer 0.*size/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, layers: [{ ...ok.layers[0], size: 1.5 }] })), /size/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, layers: [{ ...ok.layers[0], mediaType: 'not a type' }] })), /mediaType/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, layers: undefined })), /layers must be a list/);
  rejects(() => parseManifest(JSON.stringify(ok), MediaType.DockerManifest), /does not match/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, mediaType: MediaType.OciIndex })), /unexpected mediaType/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, mediaType: MediaType.DockerManifest })), /Docker schema2 manifest needs config/);
  rejects(() => parseManifest(JSON.stringify({ ...ok, annotations: { a: 1 } })), /annotations/);
  rejects(() => parseIndex(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: H, size: 1, platform: { os: 'linux' } }] })), /platform/);
  rejects(() => parseManifestOrIndex(JSON.stringify({ schemaVersion: 2 })), /neither a manifest/);
});

test('embedded descriptor data must match its digest', () => {
  const data = Buffer.from('{}');
  const good = descriptorOf(data, MediaType.OciEmpty, { data: data.toString('base64') });
  assert.equal(good.digest, 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'); // the OCI spec's empty descriptor
  assert.equal(good.size, 2);
  validateDescriptor(good);
  rejects(() => validateDescriptor({ ...good, data: Buffer.from('[]').toString('base64') }), /embedded data/);
});

test('malformed configs fail with one clear error', () => {
  const cfg = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [H] } };
  assert.equal(parseImageConfig(JSON.stringify(cfg)).os, 'linux');
  rejects(() => parseImageConfig(JSON.stringify({ ...cfg, os: undefined })), /os is required/);
  rejects(() => parseImageConfig(JSON.stringify({ ...cfg, rootfs: { type: 'layers' } })), /rootfs/);
  rejects(() => parseImageConfig(JSON.stringify({ ...cfg, rootfs: { type: 'layers', diff_ids: ['x'] } })), /diff_id/);
  rejects(() => parseImageConfig(JSON.stringify({ ...cfg, config: { Env: 'A=1' } })), /config.Env/);
  rejects(() => parseImageConfig(JSON.stringify({ ...cfg, created: 'yesterday' })), /RFC 3339/);
  rejects(() => checkManifestConfig(parseManifest(JSON.stringify({ ...ok, layers: [] })), parseImageConfig(JSON.stringify(cfg))), /0 layers but its config lists 1/);
});
