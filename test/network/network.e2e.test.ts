// Networks as a user drives them: `tug run` with links, user-defined networks,
// published ports, internal networks, parallel runs and bad input, checked
// with real clients (busybox wget/nslookup/nc inside, node's http on the host)
// and against docker's documented names and values. Traffic goes only to
// loopback and to networks this suite creates. Run under
// flock /tmp/tug-integration.lock (scripts/test.sh callers do).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_TAR, haveBusybox, isRoot, tempRoot, tug, tugOk, type TempRoot } from '../helpers.js';
import { freeSubnets, hostState, httpGet, until, type HostState } from './helpers.js';

const skip = !isRoot ? 'needs root' : !haveBusybox() ? 'needs /var/cache/tug/busybox-rootfs.tar' : false;

/** One clear error: an "Error: " line, at most a hint, never a stack. */
function oneClearError(stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  assert.ok(lines.length >= 1 && lines.length <= 2, `expected one error (+hint), got:\n${stderr}`);
  assert.match(lines[0], /^Error: /);
  assert.match(lines[0], pattern);
  if (lines[1]) assert.match(lines[1], /^Hint: /);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('networks end to end', { skip }, () => {
  let t: TempRoot;
  let baseline: HostState;
  let root: string;
  const [subA, subB, subInt, subPar] = skip ? [] : freeSubnets(4);
  const run = (args: string[]): ReturnType<typeof tug> => tug(args, { root });
  const ok = (args: string[]): ReturnType<typeof tugOk> => tugOk(args, { root });
  const ipOf = async (name: string, ifname = 'eth0'): Promise<string> => {
    // busybox's own `ip` inside the container, not tug's view
    const out = (await ok(['exec', name, 'ip', '-4', '-o', 'addr', 'show', ifname])).stdout;
    return /inet (\d+\.\d+\.\d+\.\d+)\//.exec(out)![1];
  };

  before(async () => {
    t = tempRoot('tug-net-');
    root = t.root;
    baseline = hostState();
    await ok(['import', BUSYBOX_TAR, 'busybox']);
  });

  after(async () => {
    if (!root) return;
    const ids = (await run(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await run(['rm', '-f', ...ids]);
    await run(['network', 'prune', '-f']);
    t.cleanup();
  });

  it('legacy --link: web reads the link variables and reaches the database', async () => {
    await ok(['run', '-d', '--name', 'db', '-e', 'DB_SECRET=s3cret', '--expose', '5432', 'busybox',
      'sh', '-c', 'while true; do echo "rows from db" | nc -l -p 5432; done']);
    const dbIp = await ipOf('db');
    const dbHost = (await ok(['exec', 'db', 'hostname'])).stdout.trim();
    const port = await freePort();
    await ok(['run', '-d', '--name', 'web', '--link', 'db:database', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c',
      'mkdir /www && env | grep ^DATABASE_ | sort > /www/env.txt && nc $DATABASE_PORT_5432_TCP_ADDR $DATABASE_PORT_5432_TCP_PORT > /www/data.txt; exec httpd -f -p 80 -h /www']);
    const env = await until(async () => {
      const r = await httpGet(port, '/env.txt');
      return r.status === 200 ? r.body : undefined;
    });
    // docs.docker.com/network/links/: <alias>_NAME=/<container>/<alias>, per port _ADDR/_PORT/_PROTO, <alias>_ENV_<var>
    assert.deepEqual(env.trim().split('\n'), [
      'DATABASE_ENV_DB_SECRET=s3cret',
      'DATABASE_NAME=/web/database',
      `DATABASE_PORT=tcp://${dbIp}:5432`,
      `DATABASE_PORT_5432_TCP=tcp://${dbIp}:5432`,
      `DATABASE_PORT_5432_TCP_ADDR=${dbIp}`,
      'DATABASE_PORT_5432_TCP_PORT=5432',
      'DATABASE_PORT_5432_TCP_PROTO=tcp',
    ]);
    assert.equal((await httpGet(port, '/data.txt')).body, 'rows from db\n');
    const hosts = (await ok(['exec', 'web', 'cat', '/etc/hosts'])).stdout;
    assert.match(hosts, new RegExp(`^${dbIp.replace(/\./g, '\\.')}\\s+database ${dbHost} db$`, 'm'));
    // the link name resolves through /etc/hosts too
    assert.match((await ok(['exec', 'web', 'sh', '-c', 'echo | nc database 5432'])).stdout, /rows from db/);
    assert.equal((await ok(['port', 'web', '80'])).stdout, `127.0.0.1:${port}\n`);
    await ok(['rm', '-f', 'web', 'db']);
  });

  it('user network: names and aliases resolve whatever the start order; disconnect cuts, connect restores', async () => {
    await ok(['network', 'create', '--subnet', subA, 'appnet']);
    const serve = (text: string): string[] => ['sh', '-c', `mkdir /w && echo ${text} > /w/index.html && exec httpd -f -p 80 -h /w`];
    // a client that starts before its server exists
    await ok(['run', '-d', '--name', 'early', '--network', 'appnet', 'busybox', 'sh', '-c',
      'until wget -qO /tmp/got http://late/; do sleep 0.2; done; exec sleep 600']);
    await ok(['run', '-d', '--name', 'alpha', '--network', 'appnet', 'busybox', ...serve('alpha')]);
    await ok(['run', '-d', '--name', 'late', '--network', 'appnet', '--network-alias', 'backend', 'busybox', ...serve('late')]);
    const got = await until(async () => {
      const r = await run(['exec', 'early', 'cat', '/tmp/got']);
      return r.code === 0 ? r.stdout : undefined;
    }, 30000);
    assert.equal(got, 'late\n');
    assert.equal((await ok(['exec', 'alpha', 'wget', '-qO-', 'http://late/'])).stdout, 'late\n');
    assert.equal((await ok(['exec', 'late', 'wget', '-qO-', 'http://alpha/'])).stdout, 'alpha\n');
    assert.equal((await ok(['exec', 'alpha', 'wget', '-qO-', 'http://backend/'])).stdout, 'late\n');
    const lateIp = await ipOf('late');
    assert.match((await ok(['exec', 'alpha', 'nslookup', 'late'])).stdout, new RegExp(`Address: ${lateIp.replace(/\./g, '\\.')}`));

    await ok(['network', 'disconnect', 'appnet', 'late']);
    const gone = await run(['exec', 'alpha', 'nslookup', 'late']);
    assert.notEqual(gone.code, 0, `late still resolves after disconnect:\n${gone.stdout}`);
    // (busybox's wget -T crashes on timeout; timeout(1) bounds it instead)
    assert.notEqual((await run(['exec', 'alpha', 'timeout', '3', 'wget', '-qO-', `http://${lateIp}/`])).code, 0);

    await ok(['network', 'connect', '--alias', 'again', 'appnet', 'late']);
    assert.equal((await ok(['exec', 'alpha', 'wget', '-qO-', 'http://again/'])).stdout, 'late\n');
    assert.equal((await ok(['exec', 'alpha', 'wget', '-qO-', 'http://late/'])).stdout, 'late\n');
    await ok(['rm', '-f', 'early', 'late']);
  });

  it('published ports answer on 127.0.0.1; -P publishes EXPOSEd ports on free host ports', async () => {
    await ok(['run', '-d', '--name', 'pub', '-P', '--expose', '80', '-p', '127.0.0.1::8080', 'busybox', 'sh', '-c',
      'mkdir /w && echo published > /w/index.html && (httpd -p 8080 -h /w; exec httpd -f -p 80 -h /w)']);
    const lines = (await ok(['port', 'pub'])).stdout.trim().split('\n').sort();
    assert.equal(lines.length, 2, lines.join('\n'));
    const m80 = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(lines[0]);
    const m8080 = /^8080\/tcp -> 127\.0\.0\.1:(\d+)$/.exec(lines[1]);
    assert.ok(m80 && m8080, lines.join('\n'));
    for (const p of [Number(m80![1]), Number(m8080![1])]) {
      const r = await until(async () => (await httpGet(p, '/').catch(() => undefined)) ?? undefined);
      assert.equal(r.body, 'published\n');
    }
    await ok(['rm', '-f', 'pub']);
  });

  it('--network container:/host/none, --add-host host-gateway, --dns, --dns-search, --mac-address', async () => {
    const port = await freePort();
    await ok(['run', '-d', '--name', 'base', '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'mkdir /w && echo base > /w/index.html && exec httpd -f -p 80 -h /w']);
    const baseIp = await ipOf('base');
    // container:NAME shares base's namespace: same address, base's server on 127.0.0.1
    const shared = (await ok(['run', '--rm', '--network', 'container:base', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0; wget -qO- http://127.0.0.1/'])).stdout;
    assert.match(shared, new RegExp(`inet ${baseIp.replace(/\./g, '\\.')}/`));
    assert.match(shared, /^base$/m);
    // host: the host's interfaces, and the published port on the host's loopback
    const hostNet = (await ok(['run', '--rm', '--network', 'host', 'busybox', 'sh', '-c', `ip -o link | grep -c ': lo:'; wget -qO- http://127.0.0.1:${port}/`])).stdout;
    assert.match(hostNet, /^base$/m);
    // none: loopback only
    assert.equal((await ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ip -o link | wc -l'])).stdout.trim(), '1');
    // host-gateway is the default bridge's gateway, which is the default route of a bridge container
    const out = (await ok(['run', '--rm', '--add-host', 'gw:host-gateway', '--dns', '192.0.2.53', '--dns-search', 'corp.example', '--mac-address', '92:d0:c6:0a:29:33',
      'busybox', 'sh', '-c', "ip route | awk '/^default/ {print $3}'; grep -w gw /etc/hosts; cat /etc/resolv.conf; cat /sys/class/net/eth0/address"])).stdout.split('\n');
    assert.equal(out[1], `${out[0]}\tgw`);
    assert.deepEqual(out.slice(2, 5), ['search corp.example', 'nameserver 192.0.2.53', '92:d0:c6:0a:29:33']);
    await ok(['rm', '-f', 'base']);
  });

  it('an --internal network has no way out', async () => {
    await ok(['network', 'create', '--subnet', subB, 'outside']);
    await ok(['network', 'create', '--internal', '--subnet', subInt, 'sealed']);
    await ok(['run', '-d', '--name', 'target', '--network', 'outside', 'busybox', 'sh', '-c', 'mkdir /w && echo reachable > /w/index.html && exec httpd -f -p 80 -h /w']);
    const target = await ipOf('target');
    // control: from the default bridge the target answers (routed + NATed by tug's bridge)
    assert.equal((await ok(['run', '--rm', 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${target}/`])).stdout, 'reachable\n');
    const r = await run(['run', '--rm', '--network', 'sealed', 'busybox', 'sh', '-c', `ip route; timeout 3 wget -qO- http://${target}/ && echo LEAK`]);
    assert.doesNotMatch(r.stdout, /LEAK|^default/m);
    assert.notEqual(r.code, 0);
    await ok(['rm', '-f', 'target']);
    await ok(['network', 'rm', 'outside', 'sealed']);
  });

  it('20 parallel runs on one network get 20 distinct addresses', async () => {
    await ok(['network', 'create', '--subnet', subPar, 'par']);
    const out = mkdtempSync(join(tmpdir(), 'tug-par-'));
    try {
      const names = Array.from({ length: 20 }, (_, i) => `par${i}`);
      const results = await Promise.all(names.map((n) => run(['run', '-d', '--name', n, '--network', 'par', '-v', `${out}:/out`, 'busybox',
        'sh', '-c', 'ip -4 -o addr show eth0 > /out/$(hostname); exec sleep 600'])));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const files = await until(async () => (readdirSync(out).length === 20 ? readdirSync(out) : undefined), 20000);
      const ips = files.map((f) => /inet (\S+)\//.exec(readFileSync(join(out, f), 'utf8'))![1]);
      assert.equal(new Set(ips).size, 20, ips.join(' '));
      const prefix = subPar.split('.').slice(0, 3).join('.') + '.';
      assert.ok(ips.every((ip) => ip.startsWith(prefix)), ips.join(' '));
      await ok(['rm', '-f', ...names]);
      await ok(['network', 'rm', 'par']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('bad input: one clear error line and nothing half-configured', async () => {
    const state0 = hostState();
    const ps0 = (await ok(['ps', '-aq'])).stdout;
    // overlapping subnet (appnet holds subA)
    let r = await run(['network', 'create', '--subnet', subA.replace('.0/24', '.128/25'), 'clash']);
    assert.equal(r.code, 1);
    oneClearError(r.stderr, /overlaps with network appnet/);
    assert.doesNotMatch((await ok(['network', 'ls'])).stdout, /clash/);
    // unknown network
    r = await run(['run', '--network', 'nosuchnet', 'busybox', 'true']);
    assert.equal(r.code, 125);
    oneClearError(r.stderr, /network nosuchnet not found/);
    // a host port another process holds
    const holder: Server = createServer();
    await new Promise<void>((res) => holder.listen(0, '127.0.0.1', () => res()));
    const held = (holder.address() as { port: number }).port;
    try {
      r = await run(['run', '-p', `127.0.0.1:${held}:80`, 'busybox', 'true']);
      assert.equal(r.code, 125);
      oneClearError(r.stderr, new RegExp(`127\\.0\\.0\\.1:${held}/tcp.*already in use`));
    } finally {
      await new Promise((res) => holder.close(res));
    }
    // a host port another tug container publishes
    const port = await freePort();
    await ok(['run', '-d', '--name', 'holder', '-p', `${port}:80`, 'busybox', 'sleep', '600']);
    r = await run(['run', '-p', `127.0.0.1:${port}:80`, 'busybox', 'true']);
    assert.equal(r.code, 125);
    oneClearError(r.stderr, /already in use by container holder/);
    await ok(['rm', '-f', 'holder']);
    // removing a network that still has a container
    r = await run(['network', 'rm', 'appnet']);
    assert.equal(r.code, 1);
    oneClearError(r.stderr, /network appnet has active endpoints \(.*alpha.*\)/);
    // invalid -p
    r = await run(['run', '-p', '80:http', 'busybox', 'true']);
    assert.equal(r.code, 125);
    oneClearError(r.stderr, /invalid publish spec "80:http": invalid containerPort: http/);
    r = await run(['run', '--network', 'appnet', '--ip', '192.0.2.77', 'busybox', 'true']);
    assert.equal(r.code, 125);
    oneClearError(r.stderr, /no configured subnet or ip-range contain the IP address 192\.0\.2\.77/);
    // nothing left behind by any of them
    assert.equal((await ok(['ps', '-aq'])).stdout, ps0);
    assert.deepEqual(hostState(), state0);
  });

  it('removing containers and networks leaves no veth, netns, firewall rule or address behind', async () => {
    const alphaIp = await ipOf('alpha');
    await ok(['rm', '-f', 'alpha']);
    // alpha's address was released: a new container can claim exactly it
    await ok(['run', '-d', '--name', 'again', '--network', 'appnet', '--ip', alphaIp, 'busybox', 'sleep', '600']);
    assert.equal(await ipOf('again'), alphaIp);
    await ok(['rm', '-f', 'again']);
    await ok(['network', 'rm', 'appnet']);
    const after = hostState();
    assert.deepEqual(after.netns, baseline.netns);
    assert.deepEqual(after.links, baseline.links);
    assert.deepEqual(after.rules, baseline.rules);
  });
});
