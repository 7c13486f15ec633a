// Published ports: parsing docker's -p syntax, -P for EXPOSEd ports, and
// checking that a host port is free before netavark installs its DNAT rules
// (netavark binds nothing, so a clash would otherwise go unnoticed).
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { TugError } from '../util/errors.js';
import { parseIp } from './ipv4.js';
import type { PortMapping, Protocol } from './types.js';

function bad(spec: string, why: string): TugError {
  return new TugError('INVALID_ARGUMENT', `invalid publish spec "${spec}": ${why}`, {
    hint: 'use -p [ip:][hostPort:]containerPort[/tcp|udp|sctp], e.g. -p 8080:80 or -p 127.0.0.1:8000-8002:80-82/udp',
  });
}

function parseRange(spec: string, s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw bad(spec, `invalid ${what}: ${s}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || a > 65535 || b < 1 || b > 65535) throw bad(spec, `invalid ${what}: ${s} (ports are 1-65535)`);
  if (b < a) throw bad(spec, `invalid ${what}: ${s} (end of range before its start)`);
  return [a, b];
}

/** Parses one -p value into mappings. A host port of 0 means "pick a free one". */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec.trim();
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    const p = rest.slice(slash + 1).toLowerCase();
    if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') throw bad(spec, `invalid protocol: ${p || '(empty)'}`);
    protocol = p;
    rest = rest.slice(0, slash);
  }
  if (rest.startsWith('[')) throw new TugError('UNSUPPORTED', `invalid publish spec "${spec}": IPv6 host addresses are not supported yet`);
  const parts = rest.split(':');
  if (parts.length > 3 || rest === '') throw bad(spec, 'too many colons or nothing to publish');
  const containerPart = parts[parts.length - 1];
  const hostPart = parts.length >= 2 ? parts[parts.length - 2] : '';
  const hostIp = parts.length === 3 ? parts[0] : '';
  if (hostIp !== '' && hostIp !== '0.0.0.0' && parseIp(hostIp) === undefined) throw bad(spec, `invalid IP address: ${hostIp}`);
  const ip = hostIp === '0.0.0.0' ? '' : hostIp;
  const [cStart, cEnd] = parseRange(spec, containerPart, 'containerPort');
  const count = cEnd - cStart + 1;
  if (hostPart === '') {
    // random host ports, one per container port
    return Array.from({ length: count }, (_, i) => ({ hostIp: ip, hostPort: 0, containerPort: cStart + i, protocol, range: 1 }));
  }
  const [hStart, hEnd] = parseRange(spec, hostPart, 'hostPort');
  const hCount = hEnd - hStart + 1;
  if (count === 1 && hCount > 1) {
    // docker: one container port, a host range = any free port of that range
    return [{ hostIp: ip, hostPort: hStart, hostPortEnd: hEnd, containerPort: cStart, protocol, range: 1 }];
  }
  if (hCount !== count) throw bad(spec, 'invalid ranges specified for container and host ports (they must be the same size)');
  return [{ hostIp: ip, hostPort: hStart, containerPort: cStart, protocol, range: count }];
}

/** "80/tcp", "53/udp", "8000-8002/tcp" (image EXPOSE keys) → random-host-port mappings for -P. */
export function publishAll(exposed: string[]): PortMapping[] {
  const out: PortMapping[] = [];
  for (const e of exposed) {
    const [port, proto = 'tcp'] = e.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(port);
    if (!m || (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let p = a; p <= b; p++) out.push({ hostIp: '', hostPort: 0, containerPort: p, protocol: proto, range: 1 });
  }
  return out;
}

/** Expands mappings into single (ip, port, proto) host bindings. */
export function hostBindings(ports: PortMapping[]): Array<{ ip: string; port: number; protocol: Protocol }> {
  const out: Array<{ ip: string; port: number; protocol: Protocol }> = [];
  for (const p of ports) for (let i = 0; i < p.range; i++) out.push({ ip: p.hostIp, port: p.hostPort + i, protocol: p.protocol });
  return out;
}

export function bindingsClash(a: { ip: string; port: number; protocol: Protocol }, b: { ip: string; port: number; protocol: Protocol }): boolean {
  return a.port === b.port && a.protocol === b.protocol && (a.ip === '' || b.ip === '' || a.ip === b.ip);
}

/** Binds the port for a moment; resolves to the bound port (useful with port 0) or undefined when taken. */
export function probePort(ip: string, port: number, protocol: Protocol): Promise<number | undefined> {
  const host = ip || '0.0.0.0';
  if (protocol === 'udp') {
    return new Promise((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(undefined);
      });
      s.bind({ port, address: host, exclusive: true }, () => {
        const got = s.address().port;
        s.close(() => resolve(got));
      });
    });
  }
  // tcp (and sctp, which Node cannot bind: the tcp probe is the best cheap guess)
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host, exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : port;
      srv.close(() => resolve(got));
    });
  });
}

export function formatBinding(p: { hostIp: string; hostPort: number; containerPort: number; protocol: string }, i = 0): string {
  return `${p.containerPort + i}/${p.protocol} -> ${p.hostIp || '0.0.0.0'}:${p.hostPort + i}`;
}
