// Every image verb through the real tug binary, checked against Docker's
// documented output shapes and against values computed independently of tug
// (sha256 of the tarball, system tar's view of archives).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BOOKWORM_TAR, BUSYBOX_TAR, PROJECT, haveBusybox, isRoot, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';
import { importBusybox } from './util.js';

const skip = haveBusybox() ? false : 'needs /var/cache/tug/busybox-rootfs.tar (scripts/make-base-images.sh)';
let R: TempRoot;
let root: string;
let id: string;
let work: string;
const tarDigest = haveBusybox() ? `sha256:${createHash('sha256').update(readFileSync(BUSYBOX_TAR)).digest('hex')}` : '';
const columns = (line: string): string[] => line.trim().split(/\s{2,}/);

before(async () => {
  R = tempRoot();
  root = R.root;
  work = mkdtempSync('/var/tmp/tug-image-test-');
  if (!skip) id = await importBusybox(root);
});
after(() => {
  R.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('import prints the new image id; the layer is the tarball (diffID = its sha256), config from --change', { skip }, async () => {
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const info = JSON.parse((await tugOk(['image', 'inspect', 'busybox'], { root })).stdout) as Array<Record<string, any>>;
  assert.equal(info.length, 1);
  const img = info[0];
  for (const k of ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Config', 'Architecture', 'Os', 'Size', 'RootFS', 'Metadata']) assert.ok(k in img, `inspect has ${k}`);
  assert.equal(img.Id, id);
  assert.deepEqual(img.RepoTags, ['busybox:latest']);
  assert.deepEqual(img.RootFS, { Type: 'layers', Layers: [tarDigest] });
  assert.equal(img.Size, statSync(BUSYBOX_TAR).size);
  assert.deepEqual(img.Config.Cmd, ['sh']);
  assert.ok((img.Config.Env as string[]).some((e) => e.startsWith('PATH=/usr/local/sbin')));
  assert.equal(img.Os, 'linux');
  assert.equal(img.Comment, 'Imported from -');
});

test('import from stdin (gzip) with --message and every --change kind', { skip }, async () => {
  const gz = execFileSync('gzip', ['-c', BUSYBOX_TAR], { maxBuffer: 64 << 20 });
  const changes = ['CMD echo hi', 'ENTRYPOINT ["/bin/sh", "-c"]', 'ENV A=1 B="two words"', 'EXPOSE 80 53/udp', 'LABEL a=b "c d"=e',
    'USER nobody', 'VOLUME /data', 'WORKDIR /srv', 'WORKDIR app', 'STOPSIGNAL SIGINT', 'ONBUILD RUN echo built'];
  const r = await tugOk(['import', '-m', 'my message', ...changes.flatMap((c) => ['-c', c]), '-', 'changed:1'], { root, input: gz });
  const cfg = JSON.parse((await tugOk(['inspect', '--format', '{{json .Config}}', 'changed:1'], { root })).stdout);
  assert.deepEqual(cfg.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(cfg.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(cfg.Env, ['A=1', 'B=two words']);
  assert.deepEqual(cfg.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(cfg.Labels, { a: 'b', 'c d': 'e' });
  assert.equal(cfg.User, 'nobody');
  assert.deepEqual(cfg.Volumes, { '/data': {} });
  assert.equal(cfg.WorkingDir, '/srv/app');
  assert.equal(cfg.StopSignal, 'SIGINT');
  assert.deepEqual(cfg.OnBuild, ['RUN echo built']);
  // gzip input: the layer is still the uncompressed tar
  assert.equal((await tugOk(['inspect', '-f', '{{index .RootFS.Layers 0}} {{.Comment}}', r.stdout.trim()], { root })).stdout.trim(), `${tarDigest} my message`);
  await tugOk(['rmi', 'changed:1'], { root });
});

test('images: docker columns, -q, --no-trunc, --digests, --format fields/table/json, REPOSITORY filter', { skip }, async () => {
  const out = (await tugOk(['images'], { root })).stdout.trimEnd().split('\n');
  assert.deepEqual(columns(out[0]), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
  const row = columns(out.find((l) => l.startsWith('busybox')) as string);
  assert.deepEqual([row[0], row[1], row[2]], ['busybox', 'latest', id.slice(7, 19)]);
  assert.match(row[3], /ago$/);
  assert.equal(row[4], '2.14MB'); // docker's units: decimal, 3 significant digits
  assert.deepEqual((await tugOk(['images', '-q'], { root })).stdout.trim().split('\n'), [id.slice(7, 19)]);
  assert.match((await tugOk(['images', '--no-trunc'], { root })).stdout, new RegExp(`busybox\\s+latest\\s+${id}`));
  assert.deepEqual(columns((await tugOk(['images', '--digests'], { root })).stdout.split('\n')[0]), ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE']);
  assert.equal((await tugOk(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Digest}}'], { root })).stdout, `busybox:latest ${id.slice(7, 19)} <none>\n`);
  const t = (await tugOk(['images', '--format', 'table {{.ID}}\\t{{.Repository}}'], { root })).stdout.split('\n');
  assert.deepEqual(columns(t[0]), ['IMAGE ID', 'REPOSITORY']);
  const j = JSON.parse((await tugOk(['images', '--format', 'json'], { root })).stdout.trim());
  assert.equal(j.Repository, 'busybox');
  assert.equal(j.Tag, 'latest');
  assert.equal(j.ID, id.slice(7, 19));
  assert.match(j.CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  assert.equal((await tugOk(['images', '-q', 'nosuchrepo'], { root })).stdout, '');
  assert.equal((await tugOk(['images', '-q', 'busybox:latest'], { root })).stdout.trim(), id.slice(7, 19));
});

test('tag: names resolve to the same id; bad names are refused with docker\'s message', { skip }, async () => {
  await tugOk(['tag', 'busybox', 'localhost:5000/team/app:v1'], { root });
  await tugOk(['tag', id.slice(7, 19), 'other'], { root });
  const ids = await Promise.all(['localhost:5000/team/app:v1', 'other:latest', 'docker.io/library/busybox:latest', id.slice(7, 15)].map(async (n) => (await tugOk(['inspect', '-f', '{{.Id}}', n], { root })).stdout.trim()));
  assert.deepEqual(ids, [id, id, id, id]);
  const bad = await tug(['tag', 'busybox', 'Bad/Name'], { root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^Error: invalid reference format: repository name must be lowercase/);
  const tooLong = await tug(['tag', 'busybox', `x:${'a'.repeat(129)}`], { root });
  assert.equal(tooLong.code, 1);
  assert.match(tooLong.stderr, /Error: invalid reference format/);
});

test('rmi: untag vs delete, multiple repositories need -f, Untagged:/Deleted: lines', { skip }, async () => {
  // one of several names: only untagged
  let r = await tugOk(['rmi', 'other'], { root });
  assert.equal(r.stdout, 'Untagged: other:latest\n');
  // by id while two repositories name it: refused without -f (docker's conflict message)
  r = await tug(['rmi', id.slice(7, 19)], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`Error: conflict: unable to delete ${id.slice(7, 19)} \\(must be forced\\) - image is referenced in multiple repositories`));
  // an image imported under a second name, then removed by its last name: untagged and deleted
  const second = (await tugOk(['import', BUSYBOX_TAR, 'scratchy:1'], { root })).stdout.trim();
  r = await tugOk(['rmi', 'scratchy:1'], { root });
  assert.equal(r.stdout, `Untagged: scratchy:1\nDeleted: ${second}\n`);
  // -f by id removes every name
  const third = (await tugOk(['import', BUSYBOX_TAR, 'a1:x'], { root })).stdout.trim();
  await tugOk(['tag', 'a1:x', 'b2:y'], { root });
  r = await tugOk(['rmi', '-f', third], { root });
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['Deleted: ' + third, 'Untagged: a1:x', 'Untagged: b2:y'].sort());
  // unknown image: one error, exit 1, the others still removed
  const fourth = (await tugOk(['import', BUSYBOX_TAR, 'c3'], { root })).stdout.trim();
  r = await tug(['rmi', 'nope', 'c3'], { root });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Error: No such image: nope\nHint: /);
  assert.match(r.stdout, new RegExp(`Deleted: ${fourth}`));
  await tugOk(['rmi', 'localhost:5000/team/app:v1'], { root });
});

test('history: docker columns, one row per history entry, -q and --no-trunc', { skip }, async () => {
  const out = (await tugOk(['history', 'busybox'], { root })).stdout.trimEnd().split('\n');
  assert.equal(out.length, 2);
  assert.match(out[0], /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
  assert.match(out[1], new RegExp(`^${id.slice(7, 19)}\\s+.* ago\\s+2\\.14MB\\s+Imported from -$`));
  assert.equal((await tugOk(['history', '-q', 'busybox'], { root })).stdout, `${id.slice(7, 19)}\n`);
  assert.equal((await tugOk(['history', '-q', '--no-trunc', 'busybox'], { root })).stdout, `${id}\n`);
  assert.equal((await tugOk(['history', '--format', '{{.Size}}|{{.Comment}}', '--human=false', 'busybox'], { root })).stdout, `${statSync(BUSYBOX_TAR).size}|Imported from -\n`);
});

test('save (docker-archive): what system tar sees is docker\'s layout; load into a fresh root gives the same image', { skip }, async () => {
  const file = join(work, 'bb.tar');
  await tugOk(['save', '-o', file, 'busybox'], { root });
  const names = execFileSync('tar', ['-tf', file]).toString().trim().split('\n');
  assert.ok(names.includes('manifest.json') && names.includes('repositories'));
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json']).toString());
  assert.deepEqual(manifest[0].RepoTags, ['busybox:latest']);
  assert.equal(manifest[0].Config, `blobs/sha256/${id.slice(7)}`);
  const layer = execFileSync('tar', ['-xOf', file, manifest[0].Layers[0]], { maxBuffer: 64 << 20 });
  assert.equal(`sha256:${createHash('sha256').update(layer).digest('hex')}`, tarDigest);
  const config = execFileSync('tar', ['-xOf', file, manifest[0].Config]);
  assert.equal(`sha256:${createHash('sha256').update(config).digest('hex')}`, id);

  const fresh = tempRoot();
  try {
    const r = await tugOk(['load', '-i', file], { root: fresh.root });
    assert.equal(r.stdout, 'Loaded image: busybox:latest\n');
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}}', 'busybox'], { root: fresh.root })).stdout.trim(), id);
    // again from stdin: the same image, nothing new
    const again = await tugOk(['load'], { root: fresh.root, input: readFileSync(file) });
    assert.equal(again.stdout, 'Loaded image: busybox:latest\n');
    assert.equal((await tugOk(['images', '-q'], { root: fresh.root })).stdout.trim().split('\n').length, 1);
  } finally {
    fresh.cleanup();
  }
});

test('save to stdout, --format oci: an OCI layout whose index names the image; it loads back', { skip }, async () => {
  const r = await tug(['save', '--format', 'oci', 'busybox'], { root });
  assert.equal(r.code, 0);
  const file = join(work, 'bb-oci.tar');
  // tug() collects stdout as text; save it again to a file for binary checks
  await tugOk(['save', '--format', 'oci', '-o', file, 'busybox'], { root });
  const index = JSON.parse(execFileSync('tar', ['-xOf', file, 'index.json']).toString());
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].annotations['org.opencontainers.image.ref.name'], 'latest');
  assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'docker.io/library/busybox:latest');
  assert.equal(execFileSync('tar', ['-xOf', file, 'oci-layout']).toString(), '{"imageLayoutVersion":"1.0.0"}');
  const m = execFileSync('tar', ['-xOf', file, `blobs/sha256/${index.manifests[0].digest.slice(7)}`]);
  assert.equal(`sha256:${createHash('sha256').update(m).digest('hex')}`, index.manifests[0].digest);
  assert.equal(JSON.parse(m.toString()).config.digest, id);
  const fresh = tempRoot();
  try {
    assert.equal((await tugOk(['load', '-i', file], { root: fresh.root })).stdout, 'Loaded image: busybox:latest\n');
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}}', 'busybox'], { root: fresh.root })).stdout.trim(), id);
  } finally {
    fresh.cleanup();
  }
  const tty = await tug(['save', 'busybox', '-o', '/nonexistent-dir/x.tar'], { root });
  assert.equal(tty.code, 1);
  assert.match(tty.stderr, /^Error: cannot write \/nonexistent-dir\/x\.tar/);
});

test('image prune removes dangling images only; -a removes every unused image; blobs go with them', { skip }, async () => {
  const R2 = tempRoot();
  const r2 = R2.root;
  try {
    const first = (await tugOk(['import', BUSYBOX_TAR, 'p:1'], { root: r2 })).stdout.trim();
    const second = (await tugOk(['import', '-c', 'CMD ["x"]', BUSYBOX_TAR, 'p:1'], { root: r2 })).stdout.trim();
    // the first lost its name: dangling, listed as <none>
    assert.match((await tugOk(['images'], { root: r2 })).stdout, new RegExp(`<none>\\s+<none>\\s+${first.slice(7, 19)}`));
    const env = { TUG_GC_GRACE_MS: '0' };
    let r = await tugOk(['image', 'prune', '-f'], { root: r2, env });
    assert.match(r.stdout, new RegExp(`^Deleted Images:\ndeleted: ${first}\n\nTotal reclaimed space: \\d`));
    assert.equal((await tugOk(['images', '-q', '--no-trunc'], { root: r2 })).stdout.trim(), second);
    // declined prompt: nothing happens
    r = await tugOk(['image', 'prune', '-a'], { root: r2, input: 'n\n' });
    assert.match(r.stdout, /WARNING! This will remove all images without at least one container associated to them\.\nAre you sure you want to continue\? \[y\/N\] $/);
    r = await tugOk(['image', 'prune', '-a', '-f'], { root: r2, env });
    assert.match(r.stdout, new RegExp(`untagged: p:1\ndeleted: ${second}`));
    assert.equal((await tugOk(['images', '-aq'], { root: r2 })).stdout, '');
    assert.deepEqual(execFileSync('ls', [join(r2, 'blobs/sha256')]).toString(), '');
  } finally {
    R2.cleanup();
  }
});

test('system df: docker rows and columns; images counted once per shared layer', { skip }, async () => {
  await tugOk(['import', BUSYBOX_TAR, 'df-copy'], { root });
  const out = (await tugOk(['system', 'df'], { root })).stdout.trimEnd().split('\n');
  assert.deepEqual(columns(out[0]), ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE']);
  assert.deepEqual(out.slice(1).map((l) => columns(l)[0]), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  const images = columns(out[1]);
  assert.equal(images[1], '2');
  assert.equal(images[3], '2.14MB'); // the same layer twice counts once
  await tugOk(['rmi', 'df-copy'], { root });
});

test('images -a shows intermediate (parent) images that plain images hides', { skip }, async () => {
  const { ImageService } = await import('../../src/image/service.js');
  const { closeAll } = await import('../../src/meta/db.js');
  const { Readable } = await import('node:stream');
  const R3 = tempRoot();
  try {
    await importBusybox(R3.root, 'base');
    const svc = ImageService.open(R3.root);
    const base = svc.resolve('base');
    const step = await svc.createImage({ base, config: { Cmd: ['step'] }, history: [{ created_by: 'step 1', empty_layer: true }] });
    const top = await svc.createImage({ base: step, layers: [{ tar: Readable.from([Buffer.alloc(1024)]) }], history: [{ created_by: 'step 2' }], names: ['final:1'] });
    closeAll();
    assert.equal(top.parent, step.id);
    const plain = (await tugOk(['images', '-q', '--no-trunc'], { root: R3.root })).stdout.trim().split('\n').sort();
    const all = (await tugOk(['images', '-a', '-q', '--no-trunc'], { root: R3.root })).stdout.trim().split('\n').sort();
    assert.deepEqual(plain, [base.id, top.id].sort());
    assert.deepEqual(all, [base.id, step.id, top.id].sort());
    // history shows the local ancestors' ids instead of <missing>
    const h = (await tugOk(['history', '-q', '--no-trunc', 'final:1'], { root: R3.root })).stdout.trim().split('\n');
    assert.deepEqual(h, [top.id, step.id, base.id]);
    // the parent cannot be removed while its child exists
    const r = await tug(['rmi', step.id], { root: R3.root });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /image has dependent child images/);
    // removing the child takes the untagged parent with it (docker's parent pruning)
    assert.equal((await tugOk(['rmi', 'final:1'], { root: R3.root })).stdout, `Untagged: final:1\nDeleted: ${top.id}\nDeleted: ${step.id}\n`);
  } finally {
    R3.cleanup();
  }
});

test('unpack puts every layer in the snapshotter; rmi of the last image using them removes those snapshots', { skip }, async () => {
  const { ImageService } = await import('../../src/image/service.js');
  const { Snapshotter } = await import('../../src/snapshot/index.js');
  const { closeAll } = await import('../../src/meta/db.js');
  const R4 = tempRoot();
  try {
    await importBusybox(R4.root, 'unpacked:1');
    await tugOk(['tag', 'unpacked:1', 'unpacked:2'], { root: R4.root });
    const svc = ImageService.open(R4.root);
    const img = svc.resolve('unpacked:1');
    const top = await svc.unpack(img);
    assert.equal(top, img.layers[0].chainID);
    assert.equal(top, tarDigest); // one layer: chainID = diffID = sha256 of the tarball
    const snaps = Snapshotter.open(R4.root);
    assert.equal(await snaps.has(top as string), true);
    // the unpacked tree is the tarball's content
    assert.ok(statSync(join(snaps.path(top as string), 'bin/busybox')).size > 100_000);
    closeAll();
    await tugOk(['rmi', 'unpacked:1'], { root: R4.root }); // another name still uses it
    assert.equal(await Snapshotter.open(R4.root).has(top as string), true);
    await tugOk(['rmi', 'unpacked:2'], { root: R4.root });
    closeAll();
    assert.equal(await Snapshotter.open(R4.root).has(top as string), false);
  } finally {
    closeAll();
    R4.cleanup();
  }
});

test('scripts/import-base-images.sh makes busybox:latest (CMD sh) and debian:bookworm (CMD bash), and is idempotent', { skip: skip || (!existsSync(BOOKWORM_TAR) && 'needs /var/cache/tug/bookworm-rootfs.tar'), timeout: 180_000 }, async () => {
  const R5 = tempRoot();
  try {
    const env = { ...process.env, TUG_ROOT: R5.root };
    const run = (): string => execFileSync('bash', [join(PROJECT, 'scripts/import-base-images.sh')], { env }).toString();
    const first = run();
    assert.match(first, /importing .*busybox-rootfs\.tar as busybox:latest/);
    assert.match(first, /importing .*bookworm-rootfs\.tar as debian:bookworm/);
    const cfg = async (n: string): Promise<string> => (await tugOk(['inspect', '-f', '{{json .Config.Cmd}} {{index .Config.Env 0}}', n], { root: R5.root })).stdout.trim();
    assert.equal(await cfg('busybox'), '["sh"] PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.equal(await cfg('debian:bookworm'), '["bash"] PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const ids = (await tugOk(['images', '-q'], { root: R5.root })).stdout;
    assert.match(run(), /busybox:latest is up to date\ndebian:bookworm is up to date/);
    assert.equal((await tugOk(['images', '-q'], { root: R5.root })).stdout, ids);
  } finally {
    R5.cleanup();
  }
});

test('load reads the pre-25 docker save layout (<id>/layer.tar, <hex>.json, symlinked duplicate layers)', { skip }, async () => {
  const dir = mkdtempSync('/var/tmp/tug-image-legacy-');
  const fresh = tempRoot();
  try {
    const layer = readFileSync(BUSYBOX_TAR);
    const diff = createHash('sha256').update(layer).digest('hex');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${diff}`, `sha256:${diff}`] } }));
    const cfgHex = createHash('sha256').update(config).digest('hex');
    const [id1, id2] = ['1'.repeat(64), '2'.repeat(64)];
    execFileSync('mkdir', ['-p', join(dir, id1), join(dir, id2)]);
    execFileSync('cp', [BUSYBOX_TAR, join(dir, id1, 'layer.tar')]);
    execFileSync('ln', ['-s', `../${id1}/layer.tar`, join(dir, id2, 'layer.tar')]);
    for (const id of [id1, id2]) {
      execFileSync('sh', ['-c', `printf 1.0 > ${join(dir, id, 'VERSION')}; printf '{}' > ${join(dir, id, 'json')}`]);
    }
    execFileSync('sh', ['-c', `cat > ${join(dir, `${cfgHex}.json`)}`], { input: config });
    execFileSync('sh', ['-c', `cat > ${join(dir, 'manifest.json')}`], { input: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['old:1'], Layers: [`${id1}/layer.tar`, `${id2}/layer.tar`] }]) });
    execFileSync('sh', ['-c', `printf '{"old":{"1":"${id2}"}}' > ${join(dir, 'repositories')}`]);
    const archive = `${dir}.tar`;
    execFileSync('tar', ['-cf', archive, '-C', dir, '.']);
    assert.equal((await tugOk(['load', '-i', archive], { root: fresh.root })).stdout, 'Loaded image: old:1\n');
    const got = JSON.parse((await tugOk(['inspect', '-f', '{{json .}}', 'old:1'], { root: fresh.root })).stdout);
    assert.equal(got.Id, `sha256:${cfgHex}`);
    assert.deepEqual(got.RootFS.Layers, [`sha256:${diff}`, `sha256:${diff}`]);
    rmSync(archive, { force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    fresh.cleanup();
  }
});

test('rmi refuses an image a container uses (docker\'s conflict), -f removes the image but not the container', { skip: skip || (!isRoot && 'needs root (tug create)') }, async () => {
  const R6 = tempRoot();
  try {
    const img = await importBusybox(R6.root, 'used:1');
    await tugOk(['create', '--name', 'user1', 'used:1', 'true'], { root: R6.root });
    const cid = (await tugOk(['ps', '-aq', '--no-trunc'], { root: R6.root })).stdout.trim();
    const r = await tug(['rmi', 'used:1'], { root: R6.root });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^Error: conflict: unable to delete ${img.slice(7, 19)} \\(must be forced\\) - image is being used by stopped container ${cid.slice(0, 12)}\n`));
    assert.equal((await tugOk(['images', '-q', '--no-trunc'], { root: R6.root })).stdout.trim(), img);
    // prune -a leaves images in use alone
    assert.doesNotMatch((await tugOk(['image', 'prune', '-af'], { root: R6.root })).stdout, /deleted/);
    assert.match((await tugOk(['system', 'df'], { root: R6.root })).stdout, /Images\s+1\s+1\s+/);
    assert.equal((await tugOk(['rmi', '-f', 'used:1'], { root: R6.root })).stdout, `Untagged: used:1\nDeleted: ${img}\n`);
    assert.equal((await tugOk(['ps', '-aq', '--no-trunc'], { root: R6.root })).stdout.trim(), cid);
    await tugOk(['rm', 'user1'], { root: R6.root });
  } finally {
    R6.cleanup();
  }
});

test('repo digests (as a pull records them): images --digests rows, name@digest resolves, rmi of the digest ref untags it', { skip }, async () => {
  const { ImageService } = await import('../../src/image/service.js');
  const { closeAll } = await import('../../src/meta/db.js');
  const R7 = tempRoot();
  try {
    await importBusybox(R7.root, 'localhost:5000/team/app:v1');
    const svc = ImageService.open(R7.root);
    const img = svc.resolve('localhost:5000/team/app:v1');
    const index = `sha256:${'ab'.repeat(32)}`;
    await svc.addImage(img.manifestDigest, [], { repoDigests: ['localhost:5000/team/app', `localhost:5000/other@${index}`] });
    closeAll();
    const rows = (await tugOk(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}'], { root: R7.root })).stdout.trim().split('\n').sort();
    assert.deepEqual(rows, [`localhost:5000/other <none> ${index}`, `localhost:5000/team/app v1 ${img.manifestDigest}`]);
    // without --digests, a digest-only repository still shows, as <none>
    assert.match((await tugOk(['images'], { root: R7.root })).stdout, /localhost:5000\/other\s+<none>\s+/);
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}}', `localhost:5000/other@${index}`], { root: R7.root })).stdout.trim(), img.id);
    const inspect = JSON.parse((await tugOk(['image', 'inspect', img.id], { root: R7.root })).stdout)[0];
    assert.deepEqual(inspect.RepoDigests.sort(), [`localhost:5000/other@${index}`, `localhost:5000/team/app@${img.manifestDigest}`]);
    assert.equal((await tugOk(['rmi', `localhost:5000/other@${index}`], { root: R7.root })).stdout, `Untagged: localhost:5000/other@${index}\n`);
    // the last tag of a repository takes that repository's digest references with it
    assert.equal((await tugOk(['rmi', 'localhost:5000/team/app:v1'], { root: R7.root })).stdout,
      `Untagged: localhost:5000/team/app:v1\nUntagged: localhost:5000/team/app@${img.manifestDigest}\nDeleted: ${img.id}\n`);
  } finally {
    closeAll();
    R7.cleanup();
  }
});

test('load reads docker ≥25 archives (OCI layout plus manifest.json): names from both', { skip }, async () => {
  const dir = mkdtempSync('/var/tmp/tug-image-d25-');
  const fresh = tempRoot();
  try {
    const oci = join(dir, 'oci.tar');
    await tugOk(['save', '--format', 'oci', '-o', oci, 'busybox'], { root });
    execFileSync('mkdir', ['-p', join(dir, 'x')]);
    execFileSync('tar', ['-xf', oci, '-C', join(dir, 'x')]);
    const index = JSON.parse(readFileSync(join(dir, 'x/index.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(dir, 'x/blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
    const dockerManifest = [{ Config: `blobs/sha256/${manifest.config.digest.slice(7)}`, RepoTags: ['busybox:latest', 'extra:1'], Layers: manifest.layers.map((l: { digest: string }) => `blobs/sha256/${l.digest.slice(7)}`) }];
    execFileSync('sh', ['-c', `cat > ${join(dir, 'x/manifest.json')}`], { input: JSON.stringify(dockerManifest) });
    const archive = join(dir, 'd25.tar');
    execFileSync('tar', ['-cf', archive, '-C', join(dir, 'x'), '.']);
    assert.equal((await tugOk(['load', '-i', archive], { root: fresh.root })).stdout, 'Loaded image: busybox:latest\nLoaded image: extra:1\n');
    assert.equal((await tugOk(['inspect', '-f', '{{.Id}} {{.Descriptor.digest}}', 'extra:1'], { root: fresh.root })).stdout.trim(), `${id} ${index.manifests[0].digest}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    fresh.cleanup();
  }
});

test('load of an OCI archive with a zstd layer (made with zstd(1)): diffID checked, saved back as a plain tar', { skip: skip || (spawnSync('sh', ['-c', 'command -v zstd']).status !== 0 && 'needs zstd') }, async () => {
  const dir = mkdtempSync('/var/tmp/tug-image-zstd-');
  const fresh = tempRoot();
  try {
    const put = (b: Buffer): { digest: string; size: number } => {
      const digest = `sha256:${createHash('sha256').update(b).digest('hex')}`;
      execFileSync('sh', ['-c', `mkdir -p ${dir}/l/blobs/sha256 && cat > ${dir}/l/blobs/sha256/${digest.slice(7)}`], { input: b });
      return { digest, size: b.length };
    };
    const zst = execFileSync('zstd', ['-q', '-c', BUSYBOX_TAR], { maxBuffer: 64 << 20 });
    const layer = put(zst);
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [tarDigest] } })));
    const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', ...layer }] })));
    execFileSync('sh', ['-c', `printf '{"imageLayoutVersion":"1.0.0"}' > ${dir}/l/oci-layout`]);
    execFileSync('sh', ['-c', `cat > ${dir}/l/index.json`], { input: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': 'docker.io/library/zst:1' } }] }) });
    execFileSync('tar', ['-cf', `${dir}/z.tar`, '-C', `${dir}/l`, '.']);
    assert.equal((await tugOk(['load', '-i', `${dir}/z.tar`], { root: fresh.root })).stdout, 'Loaded image: zst:1\n');
    assert.equal((await tugOk(['inspect', '-f', '{{.Descriptor.digest}} {{.Size}}', 'zst:1'], { root: fresh.root })).stdout.trim(), `${manifest.digest} ${statSync(BUSYBOX_TAR).size}`);
    await tugOk(['save', '-o', `${dir}/out.tar`, 'zst:1'], { root: fresh.root });
    const m = JSON.parse(execFileSync('tar', ['-xOf', `${dir}/out.tar`, 'manifest.json']).toString());
    const plain = execFileSync('tar', ['-xOf', `${dir}/out.tar`, m[0].Layers[0]], { maxBuffer: 64 << 20 });
    assert.equal(`sha256:${createHash('sha256').update(plain).digest('hex')}`, tarDigest);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    fresh.cleanup();
  }
});
