// Cache import/export, cache mounts, builder prune, step logs and --twice, end
// to end through the real tug binary and a real `tug registry serve`.
// Expected behaviour: BuildKit's documented --cache-to/--cache-from semantics
// (mode=min exports the final image's steps, mode=max every stage; a build on
// an empty machine that imports the cache shows CACHED for each step).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_TAR, haveBusybox, isRoot, tempDir, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';
import { startRegistry, type RegistryProc } from '../registry/helpers.js';

const skip = !isRoot ? 'needs root (overlay mounts, crun)' : !haveBusybox() ? `needs ${BUSYBOX_TAR} (scripts/make-base-images.sh)` : false;
let A: TempRoot; // the "CI runner" that exports
let REG: TempRoot;
let registry: RegistryProc;
let baseArchive: string;
const roots: TempRoot[] = [];

function ctxDir(files: Record<string, string>): string {
  const dir = tempDir('tug-cacheio-ctx-');
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  return dir;
}

/** An empty state root holding only the very same busybox image (saved once, loaded here). */
async function freshRoot(): Promise<string> {
  const r = tempRoot('tug-cacheio-fresh-');
  roots.push(r);
  await tugOk(['load', '-i', baseArchive], { root: r.root });
  return r.root;
}

/** Step vertices of a plain-progress log, and which of them were CACHED. */
function steps(stderr: string): { all: string[]; cached: string[]; missed: string[] } {
  const names = new Map<string, string>();
  const cachedIds = new Set<string>();
  for (const line of stderr.split('\n')) {
    const m = /^#(\d+) (\[[^\]]*\d+\/\d+\] .*)$/.exec(line);
    if (m) names.set(m[1], m[2]);
    const c = /^#(\d+) CACHED$/.exec(line);
    if (c) cachedIds.add(c[1]);
  }
  const all = [...names.entries()];
  return { all: all.map(([, n]) => n), cached: all.filter(([id]) => cachedIds.has(id)).map(([, n]) => n), missed: all.filter(([id]) => !cachedIds.has(id)).map(([, n]) => n) };
}

function blobs(root: string): string[] {
  const dir = join(root, 'blobs', 'sha256');
  return existsSync(dir) ? readdirSync(dir) : [];
}

const MULTI = [
  'FROM busybox:latest AS builder',
  'COPY src.txt /src.txt',
  'RUN tr a-z A-Z < /src.txt > /built.txt && echo built-log-line',
  'FROM busybox:latest AS extra',
  'RUN echo extra-only > /extra.txt',
  'FROM busybox:latest AS runner',
  'COPY --from=builder /built.txt /app/built.txt',
  'RUN cat /app/built.txt > /app/copy.txt',
  'FROM runner AS full',
  'COPY --from=extra /extra.txt /app/extra.txt',
  '',
].join('\n');

before(async () => {
  if (skip) return;
  A = tempRoot('tug-cacheio-a-');
  REG = tempRoot('tug-cacheio-reg-');
  await tugOk(['import', '--change', 'CMD ["sh"]', BUSYBOX_TAR, 'busybox:latest'], { root: A.root });
  baseArchive = join(tempDir('tug-cacheio-base-'), 'busybox.tar');
  await tugOk(['save', '-o', baseArchive, 'busybox:latest'], { root: A.root });
  registry = await startRegistry(REG.root);
});

after(async () => {
  if (skip) return;
  await registry.stop();
  for (const r of [A, REG, ...roots]) r.cleanup();
  rmSync(join(baseArchive, '..'), { recursive: true, force: true });
});

test('registry cache mode=max: an empty state root hits every step, fetching only the blobs it needs', { skip }, async () => {
  const ctx = ctxDir({ 'src.txt': 'hello cache\n', Dockerfile: MULTI });
  const ref = `${registry.host}/cache/multi:max`;
  const a = await tugOk(['build', '--progress=plain', '--target', 'full', '-t', 'multi:full', '--cache-to', `type=registry,ref=${ref},mode=max`, ctx], { root: A.root });
  assert.match(a.stderr, /exporting cache to .* \(mode=max\)/);
  const idA = JSON.parse((await tugOk(['image', 'inspect', 'multi:full'], { root: A.root })).stdout)[0].Id;
  // exporting again sends nothing: every blob is already in the registry (HEAD first)
  const again = await tugOk(['build', '--progress=plain', '--target', 'full', '--cache-to', `type=registry,ref=${ref},mode=max`, ctx], { root: A.root });
  assert.match(again.stderr, /\d+ records, (\d+) blobs \(0 sent, \1 already there\)/);

  const b = await freshRoot();
  const r = await tugOk(['build', '--progress=plain', '--target', 'full', '-t', 'multi:full', '--cache-from', `type=registry,ref=${ref}`, ctx], { root: b });
  const s = steps(r.stderr);
  assert.ok(s.all.length >= 8, `all stages' steps are shown: ${s.all.join(' | ')}`);
  assert.deepEqual(s.missed, [], 'every step is CACHED');
  assert.doesNotMatch(r.stderr, /cache miss/);
  assert.equal(JSON.parse((await tugOk(['image', 'inspect', 'multi:full'], { root: b })).stdout)[0].Id, idA, 'the same image as the exporting root');
  assert.equal((await tugOk(['run', '--rm', 'multi:full', 'cat', '/app/copy.txt', '/app/extra.txt'], { root: b })).stdout, 'HELLO CACHE\nextra-only\n');

  // a narrower target on another empty root: the `extra` stage's layer is never fetched
  const c = await freshRoot();
  const r2 = await tugOk(['build', '--progress=plain', '--target', 'runner', '-t', 'multi:runner', '--cache-from', ref, ctx], { root: c });
  assert.deepEqual(steps(r2.stderr).missed, []);
  const extraLayer = JSON.parse((await tugOk(['image', 'inspect', 'multi:full'], { root: b })).stdout)[0].RootFS.Layers.at(-1) as string;
  const manifestOfFull = blobs(b);
  assert.ok(manifestOfFull.length > 0);
  const haveInC = new Set(blobs(c));
  const fullLayers = JSON.parse((await tugOk(['manifest', 'inspect', ref], {})).stdout).layers as Array<{ digest: string }>;
  const notFetched = fullLayers.filter((l) => !haveInC.has(l.digest.slice(7)));
  assert.ok(notFetched.length >= 2, `blobs of steps the narrower target does not need stay in the registry (extra stage and the COPY from it); diffID ${extraLayer}`);
  rmSync(ctx, { recursive: true });
});

test('mode=min exports only the final image\'s steps; mode=max every stage', { skip }, async () => {
  const ctx = ctxDir({ 'src.txt': 'min or max\n', Dockerfile: MULTI });
  const min = `${registry.host}/cache/modes:min`;
  const max = `${registry.host}/cache/modes:max`;
  await tugOk(['build', '-q', '--target', 'runner', '--cache-to', `type=registry,ref=${min},mode=min`, '--cache-to', `type=registry,ref=${max},mode=max`, ctx], { root: A.root });
  const layersOf = async (ref: string): Promise<number> => (JSON.parse((await tugOk(['manifest', 'inspect', ref], {})).stdout).layers as unknown[]).length;
  // min: busybox + COPY --from + RUN (the runner's chain); max adds the builder's COPY and RUN layers
  assert.equal(await layersOf(min), 3);
  assert.equal(await layersOf(max), 5);

  const b = await freshRoot();
  const rMin = await tugOk(['build', '--progress=plain', '--target', 'runner', '--cache-from', min, ctx], { root: b });
  const sMin = steps(rMin.stderr);
  assert.deepEqual(sMin.missed.map((n) => n.replace(/^\[(\w+) .*/, '$1')).sort(), ['builder', 'builder'], 'with min, the builder stage runs again');
  assert.ok(sMin.cached.some((n) => n.startsWith('[runner 3/3] RUN')), 'the final image\'s own steps hit');
  const c = await freshRoot();
  const rMax = await tugOk(['build', '--progress=plain', '--target', 'runner', '--cache-from', max, ctx], { root: c });
  assert.deepEqual(steps(rMax.stderr).missed, []);
  rmSync(ctx, { recursive: true });
});

test('type=local cache directory (OCI layout) round trip', { skip }, async () => {
  const ctx = ctxDir({ 'src.txt': 'local dir\n', Dockerfile: MULTI });
  const dir = tempDir('tug-cacheio-local-');
  await tugOk(['build', '-q', '--target', 'runner', '--cache-to', `type=local,dest=${dir},mode=max`, ctx], { root: A.root });
  assert.equal(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8')).imageLayoutVersion, '1.0.0');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  assert.equal(index.manifests.length, 1);
  const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  for (const d of [manifest.config, ...manifest.layers]) assert.ok(existsSync(join(dir, 'blobs', 'sha256', d.digest.slice(7))), `blob ${d.digest} is in the layout`);
  const b = await freshRoot();
  const r = await tugOk(['build', '--progress=plain', '--target', 'runner', '--cache-from', `type=local,src=${dir}`, ctx], { root: b });
  assert.deepEqual(steps(r.stderr).missed, []);
  rmSync(dir, { recursive: true });
  rmSync(ctx, { recursive: true });
});

test('type=inline: the cache travels in the pushed image config', { skip }, async () => {
  const ctx = ctxDir({ 'src.txt': 'inline\n', Dockerfile: MULTI });
  const image = `${registry.host}/inline/app:1`;
  await tugOk(['build', '-q', '--target', 'runner', '-t', image, '--cache-to', 'type=inline', '--push', ctx], { root: A.root });
  const b = await freshRoot();
  const r = await tugOk(['build', '--progress=plain', '--target', 'runner', '--cache-from', image, ctx], { root: b });
  const s = steps(r.stderr);
  assert.ok(s.cached.some((n) => n.startsWith('[runner 2/3] COPY')) && s.cached.some((n) => n.startsWith('[runner 3/3] RUN')), `the image's own steps hit: ${s.cached.join(' | ')}`);
  // the bare form also reads an image in the local store: after pruning every record, the exporting root hits again offline
  await tugOk(['builder', 'prune', '-af'], { root: A.root });
  const local = await tugOk(['build', '--progress=plain', '--target', 'runner', '--cache-from', image, ctx], { root: A.root });
  assert.match(local.stderr, /importing cache manifest from .*\(local image\)/);
  assert.ok(steps(local.stderr).cached.some((n) => n.startsWith('[runner 3/3] RUN')));
  const bad = await tug(['build', '-q', '--cache-to', 'type=inline,mode=max', ctx], { root: A.root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /inline supports mode=min only/);
  rmSync(ctx, { recursive: true });
});

test('cache mounts are exported and restored: a fresh root sees the earlier contents', { skip }, async () => {
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nARG BUMP=1\nRUN --mount=type=cache,target=/var/cache/pkg,id=pkg sh -c "echo run-$BUMP >> /var/cache/pkg/runs; wc -l < /var/cache/pkg/runs > /count; cat /var/cache/pkg/runs > /runs"\n' });
  const ref = `${registry.host}/cache/mounts:1`;
  await tugOk(['build', '-q', '-t', 'mounts:a', '--cache-to', `type=registry,ref=${ref},mode=max,cache-mounts=true`, ctx], { root: A.root });
  assert.equal((await tugOk(['run', '--rm', 'mounts:a', 'cat', '/count'], { root: A.root })).stdout.trim(), '1');
  const b = await freshRoot();
  const r = await tugOk(['build', '--progress=plain', '-t', 'mounts:b', '--build-arg', 'BUMP=2', '--cache-from', ref, ctx], { root: b });
  assert.match(r.stderr, /importing cache mount pkg from/);
  assert.equal((await tugOk(['run', '--rm', 'mounts:b', 'cat', '/runs'], { root: b })).stdout, 'run-1\nrun-2\n', 'the RUN saw the exported cache contents');
  // without cache-mounts=true nothing of the mount is exported
  const plain = `${registry.host}/cache/mounts:plain`;
  await tugOk(['build', '-q', '--cache-to', `type=registry,ref=${plain},mode=max`, ctx], { root: A.root });
  const m = JSON.parse((await tugOk(['manifest', 'inspect', plain], {})).stdout);
  assert.equal(m.layers.filter((l: { mediaType: string }) => l.mediaType.includes('buildcache.mount')).length, 0);
  rmSync(ctx, { recursive: true });
});

test('full step logs are kept as blobs, never clipped, and retrievable after the build', { skip }, async () => {
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nRUN seq 1 20000 && echo end-of-log\n' });
  await tugOk(['build', '-q', '-t', 'logs:1', ctx], { root: A.root });
  const out = (await tugOk(['buildx', 'logs', 'logs:1'], { root: A.root })).stdout;
  const lines = out.split('\n');
  assert.match(lines[0], /^#[a-f0-9]{12} \[2\/2\] RUN seq 1 20000/);
  for (const n of [1, 5000, 19999, 20000]) assert.ok(lines.includes(String(n)), `line ${n} is in the log`);
  assert.ok(lines.includes('end-of-log'));
  // a failing step's log is kept too; `buildx logs` without argument shows the last build
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox:latest\nRUN echo before-failure && exit 7\n');
  const f = await tug(['build', '-q', ctx], { root: A.root });
  assert.equal(f.code, 1);
  const last = (await tugOk(['buildx', 'logs'], { root: A.root })).stdout;
  assert.match(last, /RUN echo before-failure && exit 7 \(failed, exit code 7\)\nbefore-failure\n/);
  rmSync(ctx, { recursive: true });
});

test('builder prune frees the blobs only the cache held and keeps what images use; buildx du', { skip }, async () => {
  const R = tempRoot('tug-cacheio-prune-');
  roots.push(R);
  await tugOk(['load', '-i', baseArchive], { root: R.root });
  const ctx = ctxDir({ 'src.txt': 'prune me\n', Dockerfile: MULTI });
  await tugOk(['build', '-q', '--target', 'runner', '-t', 'kept:1', ctx], { root: R.root });
  const du = (await tugOk(['buildx', 'du'], { root: R.root })).stdout;
  assert.match(du, /^ID\s+RECLAIMABLE\s+SIZE\s+LAST ACCESSED\n/);
  assert.match(du, /\ntrue|\s+true\s+/, 'the builder stage\'s records are reclaimable (no image uses them)');
  assert.match(du, /Total:\s+\S+B\n$/);
  const image = JSON.parse((await tugOk(['image', 'inspect', 'kept:1'], { root: R.root })).stdout)[0];
  const before = blobs(R.root).length;
  const p = await tugOk(['builder', 'prune', '-a', '-f'], { root: R.root, env: { TUG_GC_GRACE_MS: '0' } });
  assert.match(p.stdout, /Deleted build cache objects:\n/);
  assert.match(p.stdout, /Total reclaimed space: \d/);
  const after = blobs(R.root).length;
  assert.ok(after < before, `blobs were freed (${before} -> ${after})`);
  // the image is whole: it runs, and every blob of its manifest is still there (save reads them all)
  assert.equal((await tugOk(['run', '--rm', 'kept:1', 'cat', '/app/copy.txt'], { root: R.root })).stdout, 'PRUNE ME\n');
  const out = join(tempDir('tug-cacheio-save-'), 'k.tar');
  await tugOk(['save', '-o', out, 'kept:1'], { root: R.root });
  rmSync(join(out, '..'), { recursive: true });
  assert.equal(JSON.parse((await tugOk(['image', 'inspect', 'kept:1'], { root: R.root })).stdout)[0].Id, image.Id);
  assert.match((await tugOk(['buildx', 'du'], { root: R.root })).stdout, /^Shared:\s+0B\n[\s\S]*Total:\s+0B\n$/);
  // the next build works from scratch
  const again = await tugOk(['build', '--progress=plain', '--target', 'runner', ctx], { root: R.root });
  assert.match(again.stderr, /cache miss/);
  const bad = await tug(['builder', 'prune', '-f', '--filter', 'label=x'], { root: R.root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid filter 'label'/);
  // --filter until= keeps what was used recently
  const recent = await tugOk(['builder', 'prune', '-f', '--filter', 'until=1h'], { root: R.root, env: { TUG_GC_GRACE_MS: '0' } });
  assert.doesNotMatch(recent.stdout, /Deleted build cache objects/);
  rmSync(ctx, { recursive: true });
});

test('--twice: two builds on empty roots agree, or the first differing layer is named', { skip }, async () => {
  const ctx = ctxDir({ 'f.txt': 'same\n', Dockerfile: 'FROM busybox:latest\nCOPY f.txt /f.txt\nRUN cp /f.txt /g.txt && echo ok\n' });
  const r = await tugOk(['build', '--twice', '--progress=plain', ctx], { root: A.root });
  assert.match(r.stdout, /^reproducible: both builds gave sha256:[a-f0-9]{64}/);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox:latest\nCOPY f.txt /f.txt\nRUN cat /proc/sys/kernel/random/uuid > /id\n');
  const bad = await tug(['build', '--twice', '-q', ctx], { root: A.root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not reproducible: layer 3 of 3 \(RUN .*random\/uuid.*\) differs/);
  rmSync(ctx, { recursive: true });
});

test('a secret printed by a step reaches no exported blob, no log and no cache document', { skip }, async () => {
  const canary = `canary-${Date.now()}-xyzzy`;
  const dir = tempDir('tug-cacheio-secret-');
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, canary);
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nRUN --mount=type=secret,id=tok --mount=type=cache,target=/c,id=sec echo "value: $(cat /run/secrets/tok)" && echo done > /c/x && echo built > /built\n' });
  const cacheDir = join(dir, 'cache');
  const r = await tugOk(['build', '--progress=plain', '-t', 'secret:1', '--secret', `id=tok,src=${secretFile}`, '--cache-to', 'type=inline', '--cache-to', `type=local,dest=${cacheDir},mode=max,cache-mounts=true`, ctx], { root: A.root });
  assert.match(r.stderr, /value: \*\*\*\*/, 'the step output shows the secret masked');
  const logs = (await tugOk(['buildx', 'logs', 'secret:1'], { root: A.root })).stdout;
  assert.match(logs, /value: \*\*\*\*/);
  const { gunzipSync } = await import('node:zlib');
  const scan = (d: string): number => {
    let n = 0;
    for (const name of readdirSync(d)) {
      const data = readFileSync(join(d, name));
      const plain = data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
      assert.equal(plain.includes(canary), false, `blob ${name} holds the secret`);
      n++;
    }
    return n;
  };
  assert.ok(scan(join(cacheDir, 'blobs', 'sha256')) >= 3, 'the cache directory has blobs to scan');
  scan(join(A.root, 'blobs', 'sha256'));
  rmSync(dir, { recursive: true });
  rmSync(ctx, { recursive: true });
});

test('an imported record whose layer does not match its diffID is refused and the step runs', { skip }, async () => {
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nRUN echo genuine > /x\n' });
  const dir = tempDir('tug-cacheio-poison-');
  await tugOk(['build', '-q', '--cache-to', `type=local,dest=${dir},mode=max`, ctx], { root: A.root });
  // rewrite the cache document so the record claims another diffID for its layer
  const { createHash } = await import('node:crypto');
  const blob = (d: string): string => join(dir, 'blobs', 'sha256', d.slice(7));
  const put = (data: Buffer): { digest: string; size: number } => {
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    writeFileSync(blob(digest), data);
    return { digest, size: data.length };
  };
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const doc = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'));
  const rec = doc.records.find((r: { state: { layers: unknown[] } }) => r.state.layers.length === 2);
  rec.state.layers[1].diffID = `sha256:${'ab'.repeat(32)}`;
  manifest.config = { ...manifest.config, ...put(Buffer.from(JSON.stringify(doc))) };
  index.manifests[0] = { ...index.manifests[0], ...put(Buffer.from(JSON.stringify(manifest))) };
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index));

  const b = await freshRoot();
  const r = await tugOk(['build', '--progress=plain', '-t', 'poison:1', '--cache-from', `type=local,src=${dir}`, ctx], { root: b });
  assert.match(r.stderr, /WARNING: imported cache record for \[2\/2\] is unusable: .*(diffID|chainID)/);
  assert.match(r.stderr, /cache miss/, 'the step ran instead');
  assert.equal((await tugOk(['run', '--rm', 'poison:1', 'cat', '/x'], { root: b })).stdout, 'genuine\n');
  rmSync(dir, { recursive: true });
  rmSync(ctx, { recursive: true });
});
