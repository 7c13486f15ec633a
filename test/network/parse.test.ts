// Pure parsing against docker's documented syntax and values:
// -p (docs.docker.com/reference/cli/docker/container/run/#publish),
// legacy link variables (docs.docker.com/network/links/), --add-host.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePublish, publishAll } from '../../src/network/ports.js';
import { linkEnv, linkHostEntry, parseLink } from '../../src/network/links.js';
import { buildHosts, buildResolv, parseAddHost } from '../../src/network/etcfiles.js';
import { overlaps, parseCidr } from '../../src/network/ipv4.js';
import { pickFreeSubnet } from '../../src/network/subnets.js';
import { isTugError } from '../../src/util/errors.js';

describe('-p / --publish', () => {
  it('parses every documented form', () => {
    assert.deepEqual(parsePublish('80'), [{ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp', range: 1 }]);
    assert.deepEqual(parsePublish('8080:80'), [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp', range: 1 }]);
    assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp', range: 1 }]);
    assert.deepEqual(parsePublish('127.0.0.1::80'), [{ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp', range: 1 }]);
    assert.deepEqual(parsePublish('0.0.0.0:8000-8002:80-82'), [{ hostIp: '', hostPort: 8000, containerPort: 80, protocol: 'tcp', range: 3 }]);
    assert.equal(parsePublish('7000-7002').length, 3); // random host port for each
    assert.deepEqual(parsePublish('8000-8010:80'), [{ hostIp: '', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp', range: 1 }]);
  });
  it('rejects bad specs with one clear error', () => {
    for (const bad of ['abc', '80:abc', '99999:80', '1.2.3:80:80', '80/foo', '8000-8002:80-81', '1:2:3:4', '', '80-70']) {
      assert.throws(() => parsePublish(bad), (e: unknown) => isTugError(e, 'INVALID_ARGUMENT') && e.message.startsWith(`invalid publish spec "${bad}"`), bad);
    }
  });
  it('-P publishes every exposed port', () => {
    assert.deepEqual(publishAll(['80/tcp', '53/udp']).map((p) => `${p.containerPort}/${p.protocol}:${p.hostPort}`), ['80/tcp:0', '53/udp:0']);
  });
});

describe('legacy links', () => {
  it('sets the variables of the docs example (--link db:webdb from container web)', () => {
    const env = linkEnv({ containerName: 'web', alias: 'webdb', ip: '172.17.0.82', exposedPorts: ['5432/tcp'], env: ['PATH=/usr/bin', 'HOME=/root', 'PGDATA=/data'] });
    assert.deepEqual(env.sort(), [
      'WEBDB_ENV_PGDATA=/data',
      'WEBDB_NAME=/web/webdb',
      'WEBDB_PORT=tcp://172.17.0.82:5432',
      'WEBDB_PORT_5432_TCP=tcp://172.17.0.82:5432',
      'WEBDB_PORT_5432_TCP_ADDR=172.17.0.82',
      'WEBDB_PORT_5432_TCP_PORT=5432',
      'WEBDB_PORT_5432_TCP_PROTO=tcp',
    ]);
  });
  it('ALIAS_PORT is the lowest exposed port, tcp before udp', () => {
    const env = linkEnv({ containerName: 'w', alias: 'db-1', ip: '10.0.0.2', exposedPorts: ['8080/tcp', '53/udp', '53/tcp'], env: [] });
    assert.ok(env.includes('DB_1_PORT=tcp://10.0.0.2:53'));
    assert.ok(env.includes('DB_1_PORT_53_UDP_PROTO=udp'));
    assert.ok(env.includes('DB_1_PORT_8080_TCP_PORT=8080'));
  });
  it('hosts entry: alias, hostname, name (docs: "172.17.0.5  webdb 6e5cdeb2d300 db")', () => {
    assert.deepEqual(linkHostEntry('172.17.0.5', 'webdb', '6e5cdeb2d300', 'db'), { ip: '172.17.0.5', names: ['webdb', '6e5cdeb2d300', 'db'] });
    assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
    assert.deepEqual(parseLink('/db:webdb'), { name: 'db', alias: 'webdb' });
    assert.throws(() => parseLink('a:b:c'), /--link NAME\[:ALIAS\]/);
  });
});

describe('/etc files', () => {
  it('--add-host, including host-gateway', () => {
    assert.deepEqual(parseAddHost('db:10.0.0.9', () => 'x'), { ip: '10.0.0.9', names: ['db'] });
    assert.deepEqual(parseAddHost('gw=host-gateway', () => '10.90.0.1'), { ip: '10.90.0.1', names: ['gw'] });
    assert.throws(() => parseAddHost('nohost', () => 'x'), /bad format for add-host/);
    assert.throws(() => parseAddHost('a:notanip', () => 'x'), /invalid IP address/);
    const hosts = buildHosts({ ip: '10.0.0.2', names: ['abc'] }, [{ ip: '10.0.0.9', names: ['db'] }]);
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n/);
    assert.match(hosts, /10\.0\.0\.9\tdb\n10\.0\.0\.2\tabc\n$/);
  });
  it('resolv.conf drops loopback resolvers the container cannot reach, like docker', () => {
    const host = 'nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch example.com\noptions edns0\n';
    assert.equal(buildResolv({ networkDns: [], networkSearch: [], hostNetwork: false }, host), 'search example.com\nnameserver 192.0.2.53\noptions edns0\n');
    assert.equal(buildResolv({ networkDns: [], networkSearch: [], hostNetwork: false }, 'nameserver 127.0.0.1\n'), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    assert.equal(buildResolv({ networkDns: ['10.231.0.1'], networkSearch: ['dns.podman'], dnsSearch: ['corp'], hostNetwork: false }, host), 'search corp\nnameserver 10.231.0.1\noptions edns0\n');
    assert.equal(buildResolv({ networkDns: [], networkSearch: [], dns: ['1.1.1.1'], hostNetwork: false }, host), 'search example.com\nnameserver 1.1.1.1\noptions edns0\n');
  });
});

describe('subnets', () => {
  it('picks a /24 clear of docker0, cni-podman0 and taken ones', () => {
    const occ = ['172.17.0.0/16', '10.88.0.0/16', '10.90.0.0/23'].map((s) => ({ cidr: parseCidr(s)!, what: s }));
    const c = pickFreeSubnet(occ)!;
    assert.ok(!occ.some((o) => overlaps(o.cidr, c)));
    assert.equal(c.prefix, 24);
    assert.ok(overlaps(parseCidr('10.231.0.0/16')!, parseCidr('10.231.7.0/24')!));
    assert.ok(!overlaps(parseCidr('10.231.7.0/24')!, parseCidr('10.231.8.0/24')!));
  });
});
