// Host-state snapshots for leak checks, free test subnets, small waits.
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { hostOccupied } from '../../src/network/subnets.js';
import { overlaps, parseCidr } from '../../src/network/ipv4.js';

/**
 * netavark's global chains stay once it has run (by design, as in podman):
 * NETAVARK_FORWARD and NETAVARK-HOSTPORT-{DNAT,MASQ,SETMARK}, their jumps and
 * their two fixed rules. They are not per network or container, so the leak
 * check leaves them out.
 */
const GLOBAL = /NETAVARK_FORWARD|NETAVARK-HOSTPORT-(DNAT|MASQ|SETMARK)( |$)|netavark portfw masq mark|:NETAVARK-HOSTPORT-/;

export interface HostState {
  netns: string[];
  links: string[];
  rules: string[];
}

export function hostState(): HostState {
  const out = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });
  const netns = out('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort();
  const links = out('ip', ['-o', 'link', 'show']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter((x): x is string => !!x).sort();
  const rules = out('iptables-save', []).split('\n')
    .filter((l) => l && !l.startsWith('#') && !GLOBAL.test(l))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .filter((l) => !/^(\*\w+|COMMIT|:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) \w+ ?)$/.test(l));
  return { netns, links, rules };
}

/** n /24 subnets in 10.231.0.0/16 that no host route or interface uses. */
export function freeSubnets(n: number, from = 40): string[] {
  const occ = hostOccupied();
  const out: string[] = [];
  for (let third = from; third < 256 && out.length < n; third++) {
    const s = `10.231.${third}.0/24`;
    if (!occ.some((o) => overlaps(o.cidr, parseCidr(s)!))) out.push(s);
  }
  return out;
}

export function httpGet(port: number, path: string, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export async function until<T>(fn: () => Promise<T | undefined>, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
