// The core container suite, end to end through the tug binary, once per OCI
// runtime (crun, runc). Expected values come from docker's documented
// behaviour (exit codes, ownership, read-only rootfs, OOM → 137).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, before, after } from 'node:test';
import { BUSYBOX_TAR, isRoot, tug, tugOk, TUG_BIN } from '../helpers.js';
import { leaks, NO_LEAKS, RUNTIMES, runtimeRoot, until } from './helpers.js';

for (const runtime of RUNTIMES) {
  describe(`containers on ${runtime}`, { skip: !isRoot && 'needs root' }, () => {
    const t = runtimeRoot();
    let img: string[];
    const run = (args: string[], input?: string) => tug(['run', '--runtime', runtime, ...args], { root: t.root, input });
    before(async () => {
      await tugOk(['import', BUSYBOX_TAR, 'busybox'], { root: t.root });
      img = ['busybox'];
    });
    after(() => t.done());

    it('passes the exit code through and separates stdout from stderr', async () => {
      const r = await run(['--rm', ...img, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.code, 3);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
    });

    it('writes a bind-mounted file as --user uid:gid', async () => {
      const dir = mkdtempSync('/var/tmp/tug-src-');
      chownSync(dir, 1234, 2345); // the user's own directory, as with -v $PWD:/src
      try {
        const r = await run(['--rm', '-v', `${dir}:/src`, '-w', '/src', '--user', '1234:2345', ...img, 'sh', '-c', 'touch out && id -u && pwd']);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '1234\n/src\n');
        const st = statSync(join(dir, 'out'));
        assert.equal(st.uid, 1234);
        assert.equal(st.gid, 2345);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pipes stdin with -i and no TTY', async () => {
      const r = await run(['--rm', '-i', ...img, 'sh', '-c', 'tr a-z A-Z; echo done'], 'hello\nworld\n');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'HELLO\nWORLD\ndone\n');
    });

    it('--read-only with --tmpfs /tmp allows writes to /tmp only', async () => {
      const ok = await run(['--rm', '--read-only', '--tmpfs', '/tmp', ...img, 'sh', '-c', 'echo x > /tmp/f && cat /tmp/f']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'x\n');
      const bad = await run(['--rm', '--read-only', '--tmpfs', '/tmp', ...img, 'sh', '-c', 'touch /etc/nope']);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /Read-only file system/);
    });

    it('gives 127 for a missing command and 126 for a non-executable one, leaving nothing behind', async () => {
      const nf = await run([...img, 'no-such-command']);
      assert.equal(nf.code, 127);
      assert.match(nf.stderr, /^Error: .*not found/m);
      assert.match(nf.stderr, /^Hint: /m);
      const ne = await run([...img, '/etc/passwd']);
      assert.equal(ne.code, 126, ne.stderr);
      assert.deepEqual(await leaks(t), NO_LEAKS);
    });

    it('runs a detached web server, follows logs, execs into it, stops and removes it', async () => {
      const id = (await run(['-d', '--name', `web-${runtime}`, ...img, 'sh', '-c', 'echo started; exec httpd -f -v -p 8080 -h /etc'])).stdout.trim();
      assert.match(id, /^[0-9a-f]{64}$/);
      const follow = spawn(process.execPath, [TUG_BIN, '--root', t.root, 'logs', '-f', `web-${runtime}`]);
      let followed = '';
      follow.stdout.on('data', (b: Buffer) => (followed += b));
      const followEnd = new Promise<number>((r) => follow.on('close', (c) => r(c ?? -1)));
      await until('log line', async () => followed.includes('started'));
      const page = await until('httpd up', async () => {
        const r = await tug(['exec', `web-${runtime}`, 'wget', '-qO-', 'localhost:8080/hostname'], { root: t.root });
        return r.code === 0 && r.stdout;
      });
      assert.equal(page.trim(), id.slice(0, 12));
      const ps = await tugOk(['ps', '--format', '{{.Names}} {{.State}}'], { root: t.root });
      assert.match(ps.stdout, new RegExp(`^web-${runtime} running$`, 'm'));
      const exec = await tug(['exec', `web-${runtime}`, 'sh', '-c', 'exit 42'], { root: t.root });
      assert.equal(exec.code, 42);
      const rmRunning = await tug(['rm', `web-${runtime}`], { root: t.root });
      assert.equal(rmRunning.code, 1);
      assert.match(rmRunning.stderr, /cannot remove a running container/);
      await tugOk(['stop', '-t', '1', `web-${runtime}`], { root: t.root });
      assert.equal(await followEnd, 0, 'logs -f ends when the container stops');
      assert.match(followed, /started\n/);
      const insp = JSON.parse((await tugOk(['container', 'inspect', `web-${runtime}`], { root: t.root })).stdout);
      assert.equal(insp[0].State.Status, 'exited');
      assert.equal(insp[0].State.ExitCode, 137); // busybox httpd as PID 1 ignores SIGTERM: killed after the timeout
      await tugOk(['rm', `web-${runtime}`], { root: t.root });
      assert.deepEqual(await leaks(t, [id]), NO_LEAKS);
    });

    it('exits 137 with OOMKilled when a memory limit is exceeded', async () => {
      const r = await run(['--name', `oom-${runtime}`, '--memory', '16m', ...img, 'sh', '-c', 'tail /dev/zero']);
      assert.equal(r.code, 137);
      const insp = JSON.parse((await tugOk(['container', 'inspect', `oom-${runtime}`], { root: t.root })).stdout);
      assert.equal(insp[0].State.OOMKilled, true);
      await tugOk(['rm', `oom-${runtime}`], { root: t.root });
    });

    it('restarts on-failure:2 twice, then stays exited', async () => {
      await run(['-d', '--name', `rs-${runtime}`, '--restart', 'on-failure:2', ...img, 'sh', '-c', 'echo run; exit 5']);
      const final = await until('restarts', async () => {
        const r = await tug(['container', 'inspect', '-f', '{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}', `rs-${runtime}`], { root: t.root });
        return r.stdout.trim() === 'exited 2 5' && r.stdout.trim();
      }, 60_000); // each restart is a node process (the exit command): slow on a loaded machine
      assert.equal(final, 'exited 2 5');
      const logs = await tugOk(['logs', `rs-${runtime}`], { root: t.root });
      assert.equal(logs.stdout, 'run\nrun\nrun\n');
    });

    it('diff reports A/C/D against the image, and commit makes an image that run sees', async () => {
      const name = `chg-${runtime}`;
      const r = await run(['--name', name, ...img, 'sh', '-c', 'mkdir /newdir && echo hi > /newfile && rm /bin/ls && echo x >> /etc/passwd']);
      assert.equal(r.code, 0, r.stderr);
      const diff = await tugOk(['diff', name], { root: t.root });
      // docker's output for the same changes on busybox (the engine's /etc/hosts etc. are not listed)
      assert.equal(diff.stdout, 'C /bin\nD /bin/ls\nC /etc\nC /etc/passwd\nA /newdir\nA /newfile\n');
      const id = (await tugOk(['commit', '-m', 'from test', '-c', 'ENV COMMITTED=yes', name, `committed-${runtime}:v1`], { root: t.root })).stdout.trim();
      assert.match(id, /^sha256:[0-9a-f]{64}$/);
      const seen = await run(['--rm', `committed-${runtime}:v1`, 'sh', '-c', 'cat /newfile; echo $COMMITTED; test -e /bin/ls || echo ls-gone']);
      assert.equal(seen.stdout, 'hi\nyes\nls-gone\n');
      await tugOk(['rm', name], { root: t.root });
    });

    it('turns healthy when the healthcheck passes', async () => {
      const name = `hc-${runtime}`;
      await run(['-d', '--name', name, '--health-cmd', 'test -e /tmp/ready', '--health-interval', '200ms', '--health-retries', '2', ...img, 'sh', '-c', 'sleep 1; touch /tmp/ready; sleep 60']);
      const first = (await tugOk(['container', 'inspect', '-f', '{{.State.Health.Status}}', name], { root: t.root })).stdout.trim();
      assert.equal(first, 'starting');
      await until('healthy', async () => (await tug(['ps', '--format', '{{.Status}}', '-f', `name=${name}`], { root: t.root })).stdout.includes('(healthy)'));
      const log = JSON.parse((await tugOk(['container', 'inspect', '-f', '{{json .State.Health.Log}}', name], { root: t.root })).stdout);
      assert.equal(log[log.length - 1].ExitCode, 0);
      await tugOk(['rm', '-f', name], { root: t.root });
    });

    it('seeds a named volume from the image and keeps it across containers', async () => {
      const vol = `data-${runtime}`;
      const a = await run(['--rm', '-v', `${vol}:/etc`, ...img, 'sh', '-c', 'cat /etc/group | head -1; echo kept > /etc/mine']);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stdout, /^root:x:0:/);
      const b = await run(['--rm', '-v', `${vol}:/data:ro`, ...img, 'sh', '-c', 'cat /data/mine; touch /data/x']);
      assert.match(b.stdout, /^kept$/m);
      assert.match(b.stderr, /Read-only file system/);
      const ls = await tugOk(['volume', 'ls', '-q'], { root: t.root });
      assert.match(ls.stdout, new RegExp(`^${vol}$`, 'm'));
      await tugOk(['volume', 'rm', vol], { root: t.root });
    });

    it('copies files both ways with cp, including tar streams', async () => {
      const name = `cp-${runtime}`;
      await run(['-d', '--name', name, ...img, 'sleep', '60']);
      const dir = mkdtempSync('/var/tmp/tug-cp-');
      try {
        writeFileSync(join(dir, 'in.txt'), 'to the container\n');
        await tugOk(['cp', join(dir, 'in.txt'), `${name}:/tmp/`], { root: t.root });
        const cat = await tugOk(['exec', name, 'sh', '-c', 'cat /tmp/in.txt; stat -c %u /tmp/in.txt'], { root: t.root });
        assert.equal(cat.stdout, 'to the container\n0\n');
        await tugOk(['cp', `${name}:/etc/passwd`, join(dir, 'pw')], { root: t.root });
        assert.match(readFileSync(join(dir, 'pw'), 'utf8'), /^root:/);
        const tar = await tug(['cp', `${name}:/etc/group`, '-'], { root: t.root });
        assert.equal(tar.code, 0);
        assert.equal(tar.stdout.slice(0, 5), 'group'); // a tar stream: the first header names the file
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await tug(['rm', '-f', name], { root: t.root });
      }
    });

    it('removes a --rm container even when the foreground tug is killed', async () => {
      const child = spawn(process.execPath, [TUG_BIN, '--root', t.root, 'run', '--runtime', runtime, '--rm', '--name', `rmk-${runtime}`, ...img, 'sleep', '1'], { stdio: 'ignore' });
      await until('running', async () => (await tug(['ps', '-q', '-f', `name=rmk-${runtime}`], { root: t.root })).stdout.trim() !== '');
      child.kill('SIGKILL');
      await until('removed by the exit command', async () => (await tug(['ps', '-a', '-q', '-f', `name=rmk-${runtime}`], { root: t.root })).stdout.trim() === '', 10_000);
    });
  });
}

describe('bad input', { skip: !isRoot && 'needs root' }, () => {
  const t = runtimeRoot();
  let img: string[];
  before(async () => {
    await tugOk(['import', BUSYBOX_TAR, 'busybox'], { root: t.root });
    img = ['busybox'];
  });
  after(() => t.done());

  const badRun = async (args: string[], code: number, message: RegExp): Promise<void> => {
    const r = await tug(['run', ...args], { root: t.root });
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^Hint: /m);
    assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/);
    assert.deepEqual(await leaks(t), NO_LEAKS);
  };

  it('unknown image', async () => {
    await badRun(['--pull', 'never', 'no-such-image-xyz', 'true'], 125, /^Error: Unable to find image 'no-such-image-xyz' locally/m);
    // default --pull missing: docker's line, then the pull's own error (this host has no registry access)
    await badRun(['no-such-image-xyz', 'true'], 125, /^Unable to find image 'no-such-image-xyz' locally\n(.*\n)*Error: /m);
  });
  it('bad flag values', async () => {
    await badRun(['--memory', 'lots', ...img, 'true'], 125, /invalid size/);
    await badRun(['--restart', 'sometimes', ...img, 'true'], 125, /invalid restart policy/);
    await badRun(['--ulimit', 'nofile=10:5', ...img, 'true'], 125, /soft limit/);
    await badRun(['--cap-add', 'NOT_A_CAP', ...img, 'true'], 125, /unknown capability/);
    await badRun(['--network', 'no-such-net', ...img, 'true'], 125, /network no-such-net not found/);
    await badRun(['--stop-signal', 'SIGNOPE', '-d', ...img, 'true'], 125, /invalid signal/);
  });
  it('a missing bind-mount source', () => badRun(['-v', '/no/such/dir:/x', ...img, 'true'], 125, /bind source path does not exist/));
  it('a missing command', () => badRun([...img, 'nope-not-here'], 127, /not found/));
  it('a name already in use', async () => {
    await tugOk(['create', '--name', 'dup', ...img, 'true'], { root: t.root });
    const r = await tug(['run', '--name', 'dup', ...img, 'true'], { root: t.root });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^Error: the container name "\/dup" is already in use/m);
    const ps = await tugOk(['ps', '-a', '--format', '{{.Names}}'], { root: t.root });
    assert.equal(ps.stdout, 'dup\n');
    await tugOk(['rm', 'dup'], { root: t.root });
  });
  it('rm of a running container without -f', async () => {
    await tugOk(['run', '-d', '--name', 'busy', ...img, 'sleep', '60'], { root: t.root });
    const r = await tug(['rm', 'busy'], { root: t.root });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: You cannot remove a running container/m);
    await tugOk(['rm', '-f', 'busy'], { root: t.root });
    assert.deepEqual(await leaks(t), NO_LEAKS);
  });
  it('an unknown container', async () => {
    const r = await tug(['stop', 'ghost'], { root: t.root });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such container: ghost/);
  });
});
