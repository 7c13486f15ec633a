// `tug build` end to end, as a user runs it: the seeds' multi-stage builds on
// the offline busybox image, RUN mounts, the cache, and bad input. Expected
// behaviour comes from the Dockerfile reference and BuildKit's documentation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_TAR, haveBusybox, isRoot, tempDir, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';

const skip = !isRoot ? 'needs root (overlay mounts, crun)' : !haveBusybox() ? `needs ${BUSYBOX_TAR} (scripts/make-base-images.sh)` : false;
let R: TempRoot;

function ctxDir(files: Record<string, string>): string {
  const dir = tempDir('tug-build-ctx-');
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  return dir;
}

const mounts = (): string => readFileSync('/proc/self/mountinfo', 'utf8');

before(async () => {
  if (skip) return;
  R = tempRoot('tug-build-');
  await tugOk(['import', '--change', 'CMD ["sh"]', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', BUSYBOX_TAR, 'busybox:latest'], { root: R.root });
});
after(() => {
  if (skip) return;
  assert.equal(mounts().includes(R.root), false, 'no mount of the state root is left behind');
  R.cleanup();
});

test('three stages: a builder with a cache mount, --target, and a minimal runner with COPY --from', { skip }, async () => {
  const ctx = ctxDir({
    'src/main.txt': 'source v1\n',
    Dockerfile: [
      'FROM busybox:latest AS builder',
      'WORKDIR /build',
      'COPY src/ ./src/',
      'RUN --mount=type=cache,target=/cache sh -c "echo run >> /cache/runs; wc -l < /cache/runs > /build/runs; cat src/main.txt | tr a-z A-Z > app.out"',
      'FROM builder AS tested',
      'RUN grep -q SOURCE /build/app.out && echo ok > /build/tested',
      'FROM busybox:latest AS runner',
      'COPY --from=builder /build/app.out /app/app.out',
      'CMD ["cat", "/app/app.out"]',
      '',
    ].join('\n'),
  });
  const r = await tugOk(['build', '--progress=plain', '-t', 'seed:runner', ctx], { root: R.root });
  assert.match(r.stderr, /#\d+ \[builder 4\/4\] RUN --mount=type=cache/);
  assert.doesNotMatch(r.stderr, /\[tested /, 'a stage the target does not need never runs');
  const out = await tugOk(['run', '--rm', 'seed:runner'], { root: R.root });
  assert.equal(out.stdout, 'SOURCE V1\n');
  // the runner holds only busybox plus the artifact: one layer more than busybox
  const layers = JSON.parse((await tugOk(['image', 'inspect', 'seed:runner'], { root: R.root })).stdout)[0].RootFS.Layers;
  assert.equal(layers.length, 2);

  const t = await tugOk(['build', '--progress=plain', '--target', 'tested', '-t', 'seed:tested', ctx], { root: R.root });
  assert.match(t.stderr, /\[tested 2\/2\] RUN grep/);
  assert.match(t.stderr, /\[builder 4\/4\] RUN --mount=type=cache[^\n]*\n#\d+ CACHED/, 'the builder stage is reused from the cache');
  // the cache mount survived between builds and never became part of a layer
  writeFileSync(join(ctx, 'src/main.txt'), 'source v2\n');
  await tugOk(['build', '-q', '-t', 'seed:runner2', '--target', 'runner', ctx], { root: R.root });
  const runs = await tugOk(['run', '--rm', 'seed:tested', 'cat', '/build/runs'], { root: R.root });
  assert.equal(runs.stdout.trim(), '1');
  const cat = await tugOk(['run', '--rm', 'seed:runner2'], { root: R.root });
  assert.equal(cat.stdout, 'SOURCE V2\n');
  const ls = await tug(['run', '--rm', 'seed:tested', 'ls', '/cache'], { root: R.root });
  assert.equal(ls.stdout.trim(), '', 'the cache mount target is empty in the image');
  rmSync(ctx, { recursive: true });
});

test('base → dev → deploy: the deploy image holds only a static binary', { skip }, async () => {
  const ctx = ctxDir({
    Dockerfile: [
      'FROM busybox:latest AS base',
      'ENV APP=demo',
      'FROM base AS dev',
      'RUN mkdir -p /out && cp /bin/busybox /out/busybox && echo "dev tools" > /dev-only',
      'FROM scratch AS deploy',
      'COPY --from=dev /out/busybox /busybox',
      'ENTRYPOINT ["/busybox"]',
      'CMD ["echo", "deployed"]',
      '',
    ].join('\n'),
  });
  await tugOk(['build', '-q', '-t', 'seed:deploy', ctx], { root: R.root });
  const run = await tugOk(['run', '--rm', 'seed:deploy'], { root: R.root });
  assert.equal(run.stdout, 'deployed\n');
  const exp = tempDir('tug-export-');
  await tugOk(['build', '-q', '--output', `type=local,dest=${exp}`, ctx], { root: R.root });
  assert.deepEqual(readdirSync(exp), ['busybox'], 'nothing but the binary is in the deploy filesystem');
  const inspect = JSON.parse((await tugOk(['image', 'inspect', 'seed:deploy'], { root: R.root })).stdout)[0];
  assert.deepEqual(inspect.Config.Entrypoint, ['/busybox']);
  assert.equal(inspect.RootFS.Layers.length, 1);
  rmSync(ctx, { recursive: true });
  rmSync(exp, { recursive: true });
});

test('a secret file and an ssh agent are there for one RUN and nowhere in any blob, config or history', { skip }, async () => {
  const canary = `canary-${Date.now()}-s3cr3t`;
  const ctx = ctxDir({
    Dockerfile: [
      'FROM busybox:latest',
      'RUN --mount=type=secret,id=token cat /run/secrets/token > /dev/null && test "$(cat /run/secrets/token)" = "' + canary.slice(0, 6) + '$(cat /run/secrets/token | cut -c7-)" && echo secret-seen',
      'RUN --mount=type=secret,id=token,env=TOKEN test -n "$TOKEN" && echo env-seen',
      'RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo agent-seen',
      'RUN ls /run/secrets 2>/dev/null | wc -l > /count',
      '',
    ].join('\n'),
  });
  const secretFile = join(ctx, '..', `secret-${Date.now()}`);
  writeFileSync(secretFile, canary);
  const keyDir = tempDir('tug-ssh-');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'id')]);
  const r = await tugOk(['build', '--progress=plain', '--secret', `id=token,src=${secretFile}`, '--ssh', `default=${join(keyDir, 'id')}`, '-t', 'seed:secret', ctx], { root: R.root });
  assert.match(r.stderr, /secret-seen/);
  assert.match(r.stderr, /env-seen/);
  assert.match(r.stderr, /agent-seen/);
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(canary));
  const count = await tugOk(['run', '--rm', 'seed:secret', 'cat', '/count'], { root: R.root });
  assert.equal(count.stdout.trim(), '0');
  // scan every blob and the metadata database for the canary's bytes
  const blobs = join(R.root, 'blobs', 'sha256');
  for (const name of readdirSync(blobs)) {
    const data = readFileSync(join(blobs, name));
    const plain = data[0] === 0x1f ? (await import('node:zlib')).gunzipSync(data) : data;
    assert.equal(plain.includes(canary), false, `blob ${name} holds the secret`);
  }
  for (const f of readdirSync(R.root).filter((n) => n.startsWith('meta.db'))) assert.equal(readFileSync(join(R.root, f)).includes(canary), false, `${f} holds the secret`);
  // a required secret that is missing fails clearly when the step runs (a cached step needs no secret, as in BuildKit)
  // secrets are optional by default (BuildKit): a missing one is simply not mounted; required=true fails clearly
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox:latest\nRUN --mount=type=secret,id=token,required=true cat /run/secrets/token\n');
  const missing = await tug(['build', '--no-cache', '-t', 'seed:nosecret', ctx], { root: R.root });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /secret token not found/);
  rmSync(ctx, { recursive: true });
  rmSync(secretFile);
  rmSync(keyDir, { recursive: true });
});

test('instruction order decides what is rebuilt; --explain names the changed file', { skip }, async () => {
  const ctx = ctxDir({
    'deps.txt': 'dep-a\n',
    'app/main.txt': 'main v1\n',
    Dockerfile: ['FROM busybox:latest', 'COPY deps.txt /deps.txt', 'RUN cp /deps.txt /deps.installed', 'COPY app/ /app/', 'RUN cat /app/main.txt > /built', ''].join('\n'),
  });
  await tugOk(['build', '-q', '-t', 'seed:order', ctx], { root: R.root });
  writeFileSync(join(ctx, 'app/main.txt'), 'main v2\n');
  const r = await tugOk(['build', '--progress=plain', '--explain', '-t', 'seed:order', ctx], { root: R.root });
  assert.match(r.stderr, /\[3\/5\] RUN cp \/deps.txt \/deps.installed\n#\d+ CACHED/, 'the dependency layer stays cached');
  assert.match(r.stderr, /\[4\/5\] COPY app\/ \/app\/: file app\/main.txt changed/);
  assert.match(r.stderr, /\[5\/5\] RUN cat \/app\/main.txt > \/built: a previous step was rebuilt/);
  // touching a file without changing it keeps everything cached
  const { utimesSync } = await import('node:fs');
  utimesSync(join(ctx, 'deps.txt'), new Date(), new Date(2030, 1, 1));
  const again = await tugOk(['build', '--progress=plain', '-t', 'seed:order', ctx], { root: R.root });
  assert.doesNotMatch(again.stderr, /cache miss/);
  rmSync(ctx, { recursive: true });
});

test('.dockerignore excludes files and ! re-includes them', { skip }, async () => {
  const ctx = ctxDir({
    '.dockerignore': 'secret.env\n*.log\n!keep.log\nbuild/\n',
    'secret.env': 'PASSWORD=x\n',
    'a.log': 'noise\n',
    'keep.log': 'kept\n',
    'build/out.o': 'obj\n',
    'main.txt': 'main\n',
    Dockerfile: 'FROM busybox:latest\nCOPY . /ctx/\nRUN find /ctx -type f | sort > /list\n',
  });
  await tugOk(['build', '-q', '-t', 'seed:ignore', ctx], { root: R.root });
  const list = await tugOk(['run', '--rm', 'seed:ignore', 'cat', '/list'], { root: R.root });
  assert.deepEqual(list.stdout.trim().split('\n'), ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/keep.log', '/ctx/main.txt']);
  // a change to an ignored file does not invalidate the cache
  writeFileSync(join(ctx, 'a.log'), 'more noise\n');
  const again = await tugOk(['build', '--progress=plain', '-t', 'seed:ignore', ctx], { root: R.root });
  assert.doesNotMatch(again.stderr, /cache miss/);
  rmSync(ctx, { recursive: true });
});

test('SOURCE_DATE_EPOCH: the same inputs on two empty state roots give the same image digest', { skip }, async () => {
  const ctx = ctxDir({ 'f.txt': 'reproducible\n', Dockerfile: 'FROM busybox:latest\nCOPY f.txt /f.txt\nRUN cp /f.txt /g.txt\nENV A=1\n' });
  const ids: string[] = [];
  // both roots get the very same base image (import stamps the time, so it is saved once and loaded twice)
  const archive = join(tempDir('tug-repro-base-'), 'busybox.tar');
  await tugOk(['save', '-o', archive, 'busybox:latest'], { root: R.root });
  for (let i = 0; i < 2; i++) {
    const r = tempRoot('tug-repro-');
    try {
      await tugOk(['load', '-i', archive], { root: r.root });
      await tugOk(['build', '-q', '-t', 'repro:1', '--build-arg', 'SOURCE_DATE_EPOCH=1700000000', ctx], { root: r.root });
      ids.push(JSON.parse((await tugOk(['image', 'inspect', 'repro:1'], { root: r.root })).stdout)[0].Id);
    } finally {
      r.cleanup();
    }
  }
  assert.equal(ids[0], ids[1]);
  rmSync(ctx, { recursive: true });
});

test('bad input: one clear error, no half-built image, no mount left, the cache still works', { skip }, async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ Dockerfile: 'FROM busybox:latest\nRUNN echo hi\n' }, /Dockerfile:2.*\n[\s\S]*RUNN[\s\S]*did you mean RUN/i],
    [{ Dockerfile: 'FROM busybox:latest\nCOPY nope.txt /x\n' }, /"nope.txt": not found/],
    [{ Dockerfile: 'FROM busybox:latest\nRUN echo first-line && echo failing-now && exit 3\n' }, /did not complete successfully: exit code: 3[\s\S]*failing-now/],
    [{ Dockerfile: 'FROM busybox:latest\nCOPY --from=nosuchstage /x /y\n' }, /nosuchstage/],
    [{ Dockerfile: 'FROM nosuchimage:1\n' }, /nosuchimage/],
  ];
  const before = (await tugOk(['images', '-a', '-q'], { root: R.root })).stdout;
  for (const [files, re] of cases) {
    const ctx = ctxDir(files);
    const r = await tug(['build', '--progress=plain', '-t', 'bad:1', ctx], { root: R.root });
    assert.equal(r.code, 1, `exit code for ${files.Dockerfile}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/, 'no stack trace');
    rmSync(ctx, { recursive: true });
  }
  const missing = await tug(['build', '/nonexistent/context'], { root: R.root });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /unable to prepare context: path "\/nonexistent\/context" not found/);
  assert.equal((await tugOk(['images', '-a', '-q'], { root: R.root })).stdout, before, 'no image was added');
  assert.equal(mounts().includes(R.root), false);
  const snapDir = join(R.root, 'snapshots');
  if (existsSync(snapDir)) assert.ok(statSync(snapDir).isDirectory());
  // the next good build works
  const ok = ctxDir({ Dockerfile: 'FROM busybox:latest\nRUN echo fine > /fine\n' });
  await tugOk(['build', '-q', '-t', 'good:1', ok], { root: R.root });
  rmSync(ok, { recursive: true });
});

test('a build context and Dockerfile from stdin', { skip }, async () => {
  const r = await tugOk(['build', '-q', '-t', 'stdin:df', '-'], { root: R.root, input: 'FROM busybox:latest\nRUN echo from-stdin > /x\n' });
  assert.match(r.stdout, /^sha256:[a-f0-9]{64}\n$/);
  const ctx = ctxDir({ 'in.txt': 'tarred\n', Dockerfile: 'FROM busybox:latest\nCOPY in.txt /in.txt\n' });
  const tar = execFileSync('tar', ['-C', ctx, '-cf', '-', '.']);
  await tugOk(['build', '-q', '-t', 'stdin:tar', '-'], { root: R.root, input: tar });
  assert.equal((await tugOk(['run', '--rm', 'stdin:tar', 'cat', '/in.txt'], { root: R.root })).stdout, 'tarred\n');
  rmSync(ctx, { recursive: true });
});


test('images -a lists each build step as an untagged image that history names', { skip }, async () => {
  const ctx = ctxDir({ 'a.txt': 'a\n', Dockerfile: 'FROM busybox:latest\nCOPY a.txt /a.txt\nRUN cp /a.txt /b.txt\nCMD ["cat", "/b.txt"]\n' });
  const id = (await tugOk(['build', '-q', '-t', 'steps:1', ctx], { root: R.root })).stdout.trim();
  const all = (await tugOk(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}'], { root: R.root })).stdout;
  const plain = (await tugOk(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}'], { root: R.root })).stdout;
  const hist = (await tugOk(['history', '-q', '--no-trunc', 'steps:1'], { root: R.root })).stdout.trim().split('\n');
  assert.equal(hist[0], id);
  const steps = hist.slice(1, 3); // the RUN and COPY steps, newest first
  for (const s of steps) {
    assert.match(s, /^sha256:/, 'each step has an image id');
    assert.ok(all.includes(`${s} <none>`), 'images -a lists the step image');
    assert.ok(!plain.includes(s), 'images without -a hides intermediate images');
  }
  rmSync(ctx, { recursive: true });
});
