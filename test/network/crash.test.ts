// Crash safety of the network service: a container whose netns vanished
// before teardown (tug or the host crashed between the two) still leaves no
// bridge, veth or per-network rule behind once detach runs, and a second
// detach is a no-op. Drives src/network directly (no container needed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { attach, createNetwork, detach, removeNetwork } from '../../src/network/index.js';
import { netnsName } from '../../src/network/netns.js';
import { isRoot, tempRoot } from '../helpers.js';
import { freeSubnets, hostState } from './helpers.js';

describe('network service crash safety', { skip: isRoot ? false : 'needs root' }, () => {
  const t = tempRoot('tug-netcrash-');
  const runRoot = `/run/tug/test-${randomBytes(4).toString('hex')}`;
  after(() => {
    t.cleanup();
    execFileSync('rm', ['-rf', runRoot]);
  });

  it('detach after the netns was lost removes everything; detach is idempotent', async () => {
    const before = hostState();
    const [subnet] = freeSubnets(1, 120);
    createNetwork(t.root, { name: 'crashnet', subnet });
    const id = randomBytes(32).toString('hex');
    const r = await attach({ root: t.root, runRoot, containerId: id, containerName: 'victim', hostname: 'victim', mode: { kind: 'bridge', networks: [{ name: 'crashnet' }] }, ports: [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp', range: 1 }] });
    assert.ok(r.ports[0].hostPort > 0);
    assert.match(execFileSync('iptables-save', { encoding: 'utf8' }), new RegExp(`-s ${subnet.replace(/\./g, '\\.')}`));
    execFileSync('ip', ['netns', 'del', netnsName(id)]); // the "crash"
    await detach({ root: t.root, runRoot, containerId: id });
    await detach({ root: t.root, runRoot, containerId: id });
    await removeNetwork(t.root, 'crashnet');
    const now = hostState();
    assert.deepEqual(now.netns, before.netns);
    assert.deepEqual(now.links, before.links);
    assert.deepEqual(now.rules.filter((l) => !/^:NETAVARK-DN-/.test(l)), before.rules.filter((l) => !/^:NETAVARK-DN-/.test(l)));
  });
});
