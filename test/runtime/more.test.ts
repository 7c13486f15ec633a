// Signals, TTY, --init, durability (conmon killed), concurrency, logs and
// exec options, end to end through the tug binary (crun).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { describe, it, before, after } from 'node:test';
import { BUSYBOX_TAR, isRoot, tug, tugOk, TUG_BIN } from '../helpers.js';
import { cgroupDirsFor, conmonsFor, runtimeRoot, until } from './helpers.js';

// A python3 pty around the command in argv[1:]: `fd` is the master, `read(sec)` collects its output into `out`.
const PTY_PRELUDE = `
import os, pty, sys, time, fcntl, termios, struct, signal, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read(sec):
    global out
    end = time.time() + sec
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try: out += os.read(fd, 4096)
            except OSError: return
`;

describe('container behaviour', { skip: !isRoot && 'needs root' }, () => {
  const t = runtimeRoot();
  const ok = (args: string[]) => tugOk(args, { root: t.root });
  before(() => ok(['import', BUSYBOX_TAR, 'busybox']));
  after(() => t.done());

  it('forwards SIGTERM to a foreground container and returns its code', async () => {
    const child = spawn(process.execPath, [TUG_BIN, '--root', t.root, 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'trap "echo got-TERM; exit 143" TERM; echo ready; while true; do sleep 0.1; done']);
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    const code = new Promise<number | null>((r) => child.on('close', r));
    await until('ready', async () => out.includes('ready'));
    child.kill('SIGTERM');
    assert.equal(await code, 143);
    assert.match(out, /got-TERM/);
  });

  it('gives a TTY with -t', async () => {
    const out = execFileSync('script', ['-qec', `${process.execPath} ${TUG_BIN} --root ${t.root} run --rm -t --network none busybox sh -c 'tty; echo $TERM'`, '/dev/null'], { encoding: 'utf8' });
    assert.match(out, /\/dev\/pts\/0\r+\n/); // the pty's CRLF (plus the outer terminal's CR)
    assert.match(out, /xterm/);
  });

  it('sizes the TTY from the terminal and follows window-size changes', async () => {
    // a real pty around `tug run -it` (python's pty module), resized with TIOCSWINSZ + SIGWINCH
    const script = `${PTY_PRELUDE}
def size(r, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
size(30, 100); read(3)
os.write(fd, b'stty size\\r'); read(1.5)
size(50, 200); os.kill(pid, signal.SIGWINCH); read(1)
os.write(fd, b'stty size\\r'); read(1.5)
os.write(fd, b'exit 5\\r'); read(2)
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace') + '\\nEXIT %d' % os.WEXITSTATUS(st))
`;
    const out = execFileSync('python3', ['-c', script, process.execPath, TUG_BIN, '--root', t.root, 'run', '-it', '--rm', '--network', 'none', 'busybox', 'sh'], { encoding: 'utf8', timeout: 30_000 });
    assert.match(out, /30 100\r/);
    assert.match(out, /50 200\r/);
    assert.match(out, /EXIT 5$/);
  });

  it('attach leaves a running container with the detach keys (ctrl-p ctrl-q), as docker', async () => {
    await ok(['run', '-dit', '--name', 'detachme', '--network', 'none', 'busybox', 'sh']);
    // a real pty around `tug attach` (python's pty module): type a command, then the detach sequence
    const script = `${PTY_PRELUDE}
read(2)
os.write(fd, b'echo attached-$((40+2))\\r'); read(1.5)
os.write(fd, b'\\x10\\x11'); read(3)
done, st = os.waitpid(pid, os.WNOHANG)
sys.stdout.write(out.decode(errors='replace') + '\\nDETACHED %s' % ('yes' if done else 'no'))
`;
    const out = execFileSync('python3', ['-c', script, process.execPath, TUG_BIN, '--root', t.root, 'attach', 'detachme'], { encoding: 'utf8', timeout: 30_000 });
    assert.match(out, /attached-42/, 'the attached shell ran the command');
    assert.match(out, /DETACHED yes$/, 'attach ended on the detach keys');
    const running = await ok(['inspect', '--format', '{{.State.Running}}', 'detachme']);
    assert.equal(running.stdout.trim(), 'true', 'the container keeps running');
    await ok(['rm', '-f', 'detachme']);
  });

  it('maps a host device with --device host:container', async () => {
    const r = await ok(['run', '--rm', '--network', 'none', '--device', '/dev/zero:/dev/myzero', 'busybox', 'sh', '-c', 'test -c /dev/myzero && head -c 4 /dev/myzero | wc -c']);
    assert.equal(r.stdout.trim(), '4');
    const missing = await tug(['run', '--rm', '--network', 'none', '--device', '/dev/nosuch-device', 'busybox', 'true'], { root: t.root });
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /error gathering device information while adding custom device "\/dev\/nosuch-device"/);
  });

  it('runs an init as PID 1 with --init, which reaps orphans', async () => {
    const r = await ok(['run', '--rm', '--init', '--network', 'none', 'busybox', 'sh', '-c', '(sleep 0.2 &); sleep 1; cat /proc/1/comm; ps -o stat | grep -c "^Z" || true']);
    assert.equal(r.stdout, 'docker-init\n0\n');
  });

  it('shows a container whose conmon was killed as exited, with the reason, and cleans up', async () => {
    const id = (await ok(['run', '-d', '--name', 'lost', '--network', 'none', 'busybox', 'sleep', '60'])).stdout.trim();
    const [conmon] = conmonsFor(id);
    assert.ok(conmon, 'conmon runs');
    process.kill(conmon, 'SIGKILL');
    const ps = await until('exited', async () => {
      const r = await tug(['ps', '-a', '--format', '{{.Names}} {{.Status}}'], { root: t.root, timeoutMs: 10_000 });
      return r.stdout.includes('lost Exited') && r.stdout;
    });
    assert.match(ps, /lost Exited \(255\)/);
    const err = (await ok(['container', 'inspect', '-f', '{{.State.Error}}', 'lost'])).stdout;
    assert.match(err, /conmon/);
    assert.deepEqual(cgroupDirsFor(id), []);
    await ok(['rm', 'lost']);
  });

  it('lets many tug processes work at once', async () => {
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => tug(['run', '--rm', '--network', 'none', 'busybox', 'echo', `n${i}`], { root: t.root })));
    runs.forEach((r, i) => {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `n${i}\n`);
    });
    const detached = await Promise.all(Array.from({ length: 4 }, (_, i) => tug(['run', '-d', '--name', `par${i}`, '--network', 'none', 'busybox', 'sleep', '30'], { root: t.root })));
    for (const r of detached) assert.equal(r.code, 0, r.stderr);
    const names = (await ok(['ps', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean).sort();
    assert.deepEqual(names, ['par0', 'par1', 'par2', 'par3']);
    const rm = await Promise.all(names.map((n) => tug(['rm', '-f', n], { root: t.root })));
    for (const r of rm) assert.equal(r.code, 0, r.stderr);
    assert.equal((await ok(['ps', '-a', '-q'])).stdout, '');
  });

  it('logs with --tail, -t and --since', async () => {
    await ok(['run', '--name', 'lg', '--network', 'none', 'busybox', 'sh', '-c', 'echo one; echo err >&2; echo two; echo three']);
    const all = await ok(['logs', 'lg']);
    assert.equal(all.stdout, 'one\ntwo\nthree\n');
    assert.equal(all.stderr, 'err\n');
    const tail = await ok(['logs', '--tail', '2', 'lg']);
    assert.match(tail.stdout, /three\n$/);
    const ts = await ok(['logs', '-t', 'lg']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);
    const future = await ok(['logs', '--since', '2099-01-01T00:00:00Z', 'lg']);
    assert.equal(future.stdout, '');
    await ok(['rm', 'lg']);
  });

  it('exec honours -u, -w, -e and -d, and refuses a stopped container', async () => {
    await ok(['run', '-d', '--name', 'ex', '--network', 'none', 'busybox', 'sleep', '30']);
    const r = await ok(['exec', '-u', '1000:1000', '-w', '/tmp', '-e', 'X=from-exec', 'ex', 'sh', '-c', 'id -u; pwd; echo $X']);
    assert.equal(r.stdout, '1000\n/tmp\nfrom-exec\n');
    await ok(['exec', '-d', 'ex', 'sh', '-c', 'echo detached > /tmp/d']);
    await until('detached exec ran', async () => (await tug(['exec', 'ex', 'cat', '/tmp/d'], { root: t.root })).stdout === 'detached\n');
    await ok(['stop', '-t', '0', 'ex']);
    const stopped = await tug(['exec', 'ex', 'true'], { root: t.root });
    assert.equal(stopped.code, 125);
    assert.match(stopped.stderr, /is not running/);
    await ok(['rm', 'ex']);
  });

  it('applies the default capability set and seccomp profile', async () => {
    const r = await ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status']);
    // docker's default set is 0x00000000a80425fb; mode 2 = seccomp filter
    assert.match(r.stdout, /CapEff:\s+00000000a80425fb/);
    assert.match(r.stdout, /Seccomp:\s+2/);
    const priv = await ok(['run', '--rm', '--privileged', '--network', 'none', 'busybox', 'grep', 'Seccomp:', '/proc/self/status']);
    assert.match(priv.stdout, /Seccomp:\s+0/);
    const ro = await tug(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'echo 1 > /proc/sys/kernel/domainname'], { root: t.root });
    assert.notEqual(ro.code, 0); // /proc/sys is read-only
  });
});
