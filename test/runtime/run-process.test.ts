// runProcess: the builder's RUN primitive, on a real rootfs with crun and conmon.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { describe, it, after } from 'node:test';
import { isRoot, tempRoot } from '../helpers.js';
import { runProcess } from '../../src/runtime/run-process.js';
import { busyboxRootfs, conmonsFor } from './helpers.js';

describe('runProcess', { skip: !isRoot && 'needs root' }, () => {
  const t = tempRoot('tug-rp-');
  const runRoot = `${t.root}/run`;
  after(() => t.cleanup()); // runRoot lives under t.root
  const base = () => ({ root: t.root, runRoot, rootfs: busyboxRootfs(t.root), network: 'none' as const });

  it('returns the exit code and the combined output, as the given user and cwd', async () => {
    const r = await runProcess({ ...base(), args: ['sh', '-c', 'echo out; echo err >&2; id -u; pwd; exit 4'], user: '1000:1000', cwd: '/tmp', env: ['A=1'] });
    assert.equal(r.exitCode, 4);
    // stdout and stderr are separate pipes: their relative order is not guaranteed
    assert.deepEqual(r.output.toString().split('\n').sort(), ['', '/tmp', '1000', 'err', 'out']);
  });

  it('feeds stdin and binds mounts', async () => {
    const dir = mkdtempSync('/var/tmp/tug-rp-bind-');
    try {
      const r = await runProcess({ ...base(), args: ['sh', '-c', 'cat > /mnt/in.txt; echo $A'], env: ['A=env-ok'], stdin: 'from stdin\n', mounts: [{ type: 'bind', source: dir, destination: '/mnt' }] });
      assert.equal(r.exitCode, 0, r.output.toString());
      assert.equal(r.output.toString(), 'env-ok\n');
      assert.equal(readFileSync(`${dir}/in.txt`, 'utf8'), 'from stdin\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives 127 with the runtime message for a missing command, and leaves no conmon', async () => {
    const r = await runProcess({ ...base(), args: ['no-such-binary'] });
    assert.equal(r.exitCode, 127);
    assert.match(r.output.toString(), /no-such-binary.*not found/);
    assert.deepEqual(conmonsFor(t.root), []);
  });

  it('kills the process when aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const r = await runProcess({ ...base(), args: ['sleep', '30'], signal: ac.signal });
    assert.equal(r.exitCode, 137);
    assert.ok(Date.now() - started < 10_000);
  });
});
