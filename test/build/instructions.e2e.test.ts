// Instruction and flag semantics of `tug build`, each checked by running the
// built image. Expected behaviour: the Dockerfile reference and BuildKit docs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { BUSYBOX_TAR, haveBusybox, isRoot, tempDir, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';

const skip = !isRoot ? 'needs root (overlay mounts, crun)' : !haveBusybox() ? `needs ${BUSYBOX_TAR}` : false;
let R: TempRoot;
let server: Server;
let base = '';
const payload = 'downloaded payload\n';

function ctxDir(files: Record<string, string>): string {
  const dir = tempDir('tug-build-ins-');
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
  return dir;
}

async function buildAndRun(files: Record<string, string>, cmd: string[], buildArgs: string[] = []): Promise<string> {
  const ctx = ctxDir(files);
  try {
    const tag = `ins:${Math.random().toString(36).slice(2, 8)}`;
    await tugOk(['build', '-q', ...buildArgs, '-t', tag, ctx], { root: R.root });
    return (await tugOk(['run', '--rm', tag, ...cmd], { root: R.root })).stdout;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

before(async () => {
  if (skip) return;
  R = tempRoot('tug-build-ins-');
  await tugOk(['import', '--change', 'CMD ["sh"]', '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', BUSYBOX_TAR, 'busybox:latest'], { root: R.root });
  server = createServer((req, res) => {
    if (req.url === '/files/payload.txt') {
      res.writeHead(200, { 'content-type': 'text/plain', 'last-modified': 'Wed, 01 Jan 2020 00:00:00 GMT' });
      res.end(payload);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  if (skip) return;
  server.close();
  R.cleanup();
});

test('RUN heredocs, SHELL, ENV and ARG in the environment, USER and WORKDIR', { skip }, async () => {
  const out = await buildAndRun({
    Dockerfile: [
      'FROM busybox:latest',
      'ARG GREETING=hi',
      'ENV TARGET=world',
      'RUN <<EOF',
      'echo "$GREETING $TARGET" > /heredoc',
      'echo second-line >> /heredoc',
      'EOF',
      'RUN cat <<EOT > /fromcat',
      'cat says $TARGET',
      'EOT',
      'RUN <<EOF',
      '#!/bin/sh',
      'echo "shebang script as $0" > /shebang',
      'EOF',
      'SHELL ["/bin/sh", "-e", "-c"]',
      'RUN echo "shell ok" > /shell',
      'RUN echo "app:x:1234:1234::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1234:" >> /etc/group',
      'WORKDIR /home/app/work',
      'USER app',
      'RUN id -u > /tmp/uid && pwd > /tmp/pwd',
      '',
    ].join('\n'),
  }, ['sh', '-c', 'cat /heredoc /fromcat /shebang /shell /tmp/uid /tmp/pwd; stat -c %u /home/app/work; ls /dev/pipes 2>/dev/null | wc -l'], ['--build-arg', 'GREETING=hello']);
  assert.equal(out, 'hello world\nsecond-line\ncat says world\nshebang script as /dev/pipes/EOF\nshell ok\n1234\n/home/app/work\n0\n0\n');
});

test('ONBUILD triggers run in the child build, and are not inherited further', { skip }, async () => {
  const parent = ctxDir({ Dockerfile: 'FROM busybox:latest\nONBUILD RUN echo triggered > /onbuild\n' });
  await tugOk(['build', '-q', '-t', 'onbuild:parent', parent], { root: R.root });
  const out = await buildAndRun({ Dockerfile: 'FROM onbuild:parent\nRUN cat /onbuild > /copied\n' }, ['cat', '/copied']);
  assert.equal(out, 'triggered\n');
  const inspect = JSON.parse((await tugOk(['image', 'inspect', 'onbuild:parent'], { root: R.root })).stdout)[0];
  assert.deepEqual(inspect.Config.OnBuild, ['RUN echo triggered > /onbuild']);
  rmSync(parent, { recursive: true });
});

test('ADD: a URL checked against --checksum, a local tar unpacked, a wrong checksum refused', { skip }, async () => {
  const sum = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
  const tarDir = tempDir('tug-addtar-');
  writeFileSync(join(tarDir, 'inside.txt'), 'from the tarball\n');
  const tgz = execFileSync('tar', ['-C', tarDir, '-czf', '-', 'inside.txt']);
  const ctx = ctxDir({ Dockerfile: `FROM busybox:latest\nADD --checksum=${sum} ${base}/files/payload.txt /dl/\nADD pack.tgz /unpacked/\n` });
  writeFileSync(join(ctx, 'pack.tgz'), tgz);
  await tugOk(['build', '-q', '-t', 'add:1', ctx], { root: R.root });
  const out = await tugOk(['run', '--rm', 'add:1', 'sh', '-c', 'cat /dl/payload.txt /unpacked/inside.txt; stat -c %a /dl/payload.txt'], { root: R.root });
  assert.equal(out.stdout, `${payload}from the tarball\n600\n`);
  writeFileSync(join(ctx, 'Dockerfile'), `FROM busybox:latest\nADD --checksum=sha256:${'0'.repeat(64)} ${base}/files/payload.txt /dl/\n`);
  const bad = await tug(['build', '-q', '-t', 'add:bad', ctx], { root: R.root });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /checksum mismatch/);
  rmSync(ctx, { recursive: true });
  rmSync(tarDir, { recursive: true });
});

test('COPY --chown by name, --chmod, --exclude, --parents, globs and heredoc files', { skip }, async () => {
  const out = await buildAndRun({
    'app/a.txt': 'a\n',
    'app/b.log': 'b\n',
    'app/sub/c.txt': 'c\n',
    'one/x/f.txt': 'f1\n',
    'two/x/f.txt': 'f2\n',
    Dockerfile: [
      'FROM busybox:latest',
      'RUN echo "owner:x:4321:4321::/home/owner:/bin/sh" >> /etc/passwd && echo "owner:x:4321:" >> /etc/group',
      'COPY --chown=owner:owner --chmod=640 app/ /dst/',
      'COPY --exclude=*.log app/ /filtered/',
      'COPY --parents */x/f.txt /par/',
      'COPY app/*.txt /glob/',
      'COPY <<EOF /inline.txt',
      'inline body',
      'EOF',
      '',
    ].join('\n'),
  }, ['sh', '-c', 'stat -c "%u %a" /dst/a.txt; ls /filtered; ls /filtered/sub; cat /par/one/x/f.txt /par/two/x/f.txt; ls /glob; cat /inline.txt']);
  assert.equal(out, '4321 640\na.txt\nsub\nc.txt\nf1\nf2\na.txt\ninline body\n');
});

test('RUN mounts: bind from the context and from a stage, tmpfs, --network=none', { skip }, async () => {
  const out = await buildAndRun({
    'conf/settings': 'from context\n',
    Dockerfile: [
      'FROM busybox:latest AS tools',
      'RUN echo tool-output > /tool',
      'FROM busybox:latest',
      'RUN --mount=type=bind,source=conf,target=/mnt/conf cat /mnt/conf/settings > /ctx-copy',
      'RUN --mount=type=bind,from=tools,source=/tool,target=/mnt/tool cat /mnt/tool > /stage-copy',
      'RUN --mount=type=tmpfs,target=/scratch echo tmp > /scratch/x && cat /scratch/x > /tmpfs-copy',
      'RUN --network=none sh -c "ip -o link 2>/dev/null | wc -l > /links || cat /proc/net/dev | tail -n +3 | wc -l > /links"',
      '',
    ].join('\n'),
  }, ['sh', '-c', 'cat /ctx-copy /stage-copy /tmpfs-copy /links; ls /mnt /scratch 2>&1 | head -2']);
  const lines = out.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['from context', 'tool-output', 'tmp']);
  assert.equal(lines[3], '1', 'only loopback with --network=none');
  assert.match(lines.slice(4).join('\n'), /No such file or directory/, 'mount points do not stay in the image');
});

test('--build-context name=dir replaces a stage or image name in COPY --from', { skip }, async () => {
  const extra = tempDir('tug-bctx-');
  writeFileSync(join(extra, 'data.txt'), 'named context\n');
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nCOPY --from=extras data.txt /data.txt\n' });
  await tugOk(['build', '-q', '--build-context', `extras=${extra}`, '-t', 'bctx:1', ctx], { root: R.root });
  assert.equal((await tugOk(['run', '--rm', 'bctx:1', 'cat', '/data.txt'], { root: R.root })).stdout, 'named context\n');
  rmSync(ctx, { recursive: true });
  rmSync(extra, { recursive: true });
});

test('flags that cannot work here are refused clearly', { skip }, async () => {
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\n' });
  const plat = await tug(['build', '--platform', 'linux/s390x', ctx], { root: R.root });
  assert.equal(plat.code, 1);
  assert.match(plat.stderr, /linux\/s390x is not supported yet/);
  const net = await tug(['build', '--network', 'bridge0', ctx], { root: R.root });
  assert.equal(net.code, 1);
  assert.match(net.stderr, /invalid --network "bridge0"/);
  rmSync(ctx, { recursive: true });
});

test('--output type=docker, oci and tar write archives other tools read', { skip }, async () => {
  const ctx = ctxDir({ Dockerfile: 'FROM busybox:latest\nRUN echo exported > /exported.txt\nCMD ["cat", "/exported.txt"]\n' });
  const out = tempDir('tug-outputs-');
  try {
    await tugOk(['build', '-q', '-t', 'outputs:1', '-o', `type=docker,dest=${join(out, 'docker.tar')}`, ctx], { root: R.root });
    await tugOk(['build', '-q', '-t', 'outputs:1', '-o', `type=oci,dest=${join(out, 'oci.tar')}`, ctx], { root: R.root });
    await tugOk(['build', '-q', '-o', `type=tar,dest=${join(out, 'rootfs.tar')}`, ctx], { root: R.root });
    // the docker archive loads into an empty root and runs there
    const fresh = tempRoot('tug-outputs-load-');
    try {
      await tugOk(['load', '-i', join(out, 'docker.tar')], { root: fresh.root });
      assert.equal((await tugOk(['run', '--rm', '--network', 'none', 'outputs:1'], { root: fresh.root })).stdout, 'exported\n');
    } finally {
      fresh.cleanup();
    }
    // skopeo reads the OCI archive, and its config is the image we built
    const id = JSON.parse((await tugOk(['image', 'inspect', 'outputs:1'], { root: R.root })).stdout)[0].Id;
    const raw = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${join(out, 'oci.tar')}`], { encoding: 'utf8' }));
    assert.equal(raw.config.digest, id);
    // the tar output is the final filesystem
    const list = execFileSync('tar', ['-tf', join(out, 'rootfs.tar')], { encoding: 'utf8' }).split('\n');
    assert.ok(list.some((l) => l.replace(/^\.\//, '') === 'exported.txt'), 'the file the RUN wrote is in the rootfs tar');
    assert.ok(list.some((l) => l.replace(/^\.\//, '') === 'bin/busybox'), 'the base image is in the rootfs tar');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});
