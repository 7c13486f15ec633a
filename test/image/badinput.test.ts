// Bad input to the image verbs: one clear error line plus a hint, exit code 1
// (docker's rule for image verbs), and the state root exactly as before.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_TAR, haveBusybox, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';
import { corruptTar, importBusybox, pythonTar, snapshot, truncatedTar } from './util.js';

const skip = haveBusybox() ? false : 'needs /var/cache/tug/busybox-rootfs.tar';
let R: TempRoot;
let root: string;
let work: string;

before(async () => {
  R = tempRoot();
  root = R.root;
  work = mkdtempSync('/var/tmp/tug-image-bad-');
  if (!skip) await importBusybox(root);
});
after(() => {
  R.cleanup();
  rmSync(work, { recursive: true, force: true });
});

/** Runs a failing command and checks the error shape and that nothing changed. */
async function refused(args: string[], message: RegExp, input?: Buffer | string): Promise<void> {
  const before = await snapshot(root);
  const r = await tug(args, { root, input });
  assert.equal(r.code, 1, `tug ${args.join(' ')} exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `one error line and one hint: ${r.stderr}`);
  assert.match(lines[0], /^Error: /);
  assert.match(lines[0], message);
  assert.match(lines[1], /^Hint: \S/);
  assert.doesNotMatch(r.stderr, /internal error|    at /);
  const after = await snapshot(root);
  assert.deepEqual(after.files, before.files, 'files under the root unchanged');
  assert.equal(after.images, before.images, 'images unchanged');
}

test('import of a corrupt tar (bad header checksum)', { skip }, async () => {
  const f = join(work, 'corrupt.tar');
  corruptTar(BUSYBOX_TAR, f);
  await refused(['import', f, 'bad:1'], /invalid tar|checksum|corrupt/i);
});

test('import of a truncated tar, from a file and from stdin', { skip }, async () => {
  const f = join(work, 'truncated.tar');
  truncatedTar(BUSYBOX_TAR, f, 1_000_000);
  await refused(['import', f, 'bad:2'], /truncated|unexpected end/i);
  await refused(['import', '-', 'bad:2'], /truncated|unexpected end/i, readFileSync(f));
});

test('import of a tar with path traversal (../ entry; hardlink out of the root)', { skip }, async () => {
  const f = join(work, 'traversal.tar');
  pythonTar(f, [{ name: 'etc', dir: true }, { name: 'etc/ok', data: 'fine' }, { name: '../../evil', data: 'pwned' }]);
  await refused(['import', f, 'bad:3'], /path escapes|traversal|unsafe/i);
  const g = join(work, 'hardlink.tar');
  pythonTar(g, [{ name: 'a', data: 'x' }, { name: 'link', linkTo: '../../../etc/shadow' }]);
  await refused(['import', g, 'bad:4'], /hardlink|unsafe/i);
});

test('import of something that is not a tar, and of an empty input', { skip }, async () => {
  const f = join(work, 'text.tar');
  writeFileSync(f, 'hello, this is not a tar archive\n'.repeat(40));
  await refused(['import', f], /tar header|invalid tar/i);
  await refused(['import', '-'], /empty/i, Buffer.alloc(0));
});

test('load of an archive whose blob does not match its digest (layer and config)', { skip }, async () => {
  const good = join(work, 'good-oci.tar');
  await tugOk(['save', '--format', 'oci', '-o', good, 'busybox'], { root });
  const dir = join(work, 'oci');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('tar', ['-xf', good, '-C', dir]);
  const blobs = join(dir, 'blobs/sha256');
  // the biggest blob is the layer: flip a byte in its middle, keep its name
  const [layer] = readdirSync(blobs).sort((a, b) => statSync(join(blobs, b)).size - statSync(join(blobs, a)).size);
  const bytes = readFileSync(join(blobs, layer));
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(join(blobs, layer), bytes);
  const bad = join(work, 'bad-layer.tar');
  execFileSync('tar', ['-cf', bad, '-C', dir, '.']);
  await refused(['load', '-i', bad], new RegExp(`digest mismatch: expected sha256:${layer}`));

  // a docker-archive whose manifest.json names a layer that is not there
  const d2 = join(work, 'docker');
  execFileSync('mkdir', ['-p', d2]);
  await tugOk(['save', '-o', join(work, 'good-docker.tar'), 'busybox'], { root });
  execFileSync('tar', ['-xf', join(work, 'good-docker.tar'), '-C', d2]);
  const manifest = JSON.parse(readFileSync(join(d2, 'manifest.json'), 'utf8'));
  manifest[0].Layers = [`blobs/sha256/${'0'.repeat(64)}`];
  writeFileSync(join(d2, 'manifest.json'), JSON.stringify(manifest));
  const bad2 = join(work, 'bad-docker.tar');
  execFileSync('tar', ['-cf', bad2, '-C', d2, '.']);
  await refused(['load', '-i', bad2], /missing from the archive/);
});

test('load of a truncated archive and of garbage on stdin', { skip }, async () => {
  const good = join(work, 'good2.tar');
  await tugOk(['save', '-o', good, 'busybox'], { root });
  const t = join(work, 'trunc-archive.tar');
  truncatedTar(good, t, 1_500_000);
  await refused(['load', '-i', t], /truncated/i);
  await refused(['load'], /tar|archive/i, 'not an archive at all'.repeat(100));
});

test('unknown images', { skip }, async () => {
  await refused(['rmi', 'nope'], /^Error: No such image: nope$/);
  await refused(['image', 'inspect', 'nope:1'], /^Error: No such image: nope:1$/);
  await refused(['history', 'nope'], /No such image: nope/);
  await refused(['save', '-o', join(work, 'x.tar'), 'nope'], /No such image: nope/);
  await refused(['tag', 'nope', 'x:1'], /No such image: nope/);
});

test('invalid references', { skip }, async () => {
  await refused(['tag', 'busybox', 'Upper'], /invalid reference format: repository name must be lowercase/);
  await refused(['import', BUSYBOX_TAR, 'bad::ref'], /invalid reference format/);
  await refused(['rmi', 'busybox@sha256:xyz'], /invalid reference format/);
  await refused(['tag', 'busybox', `x:${'t'.repeat(129)}`], /128/);
  await refused(['import', '-c', 'FROM busybox', BUSYBOX_TAR], /invalid --change/);
});

test('missing files', { skip }, async () => {
  await refused(['import', '/nonexistent/rootfs.tar'], /^Error: open \/nonexistent\/rootfs\.tar: no such file or directory$/);
  await refused(['load', '-i', '/nonexistent/image.tar'], /^Error: open \/nonexistent\/image\.tar: no such file or directory$/);
});
