// Choosing and checking subnets. A tug network must not overlap a route or
// interface address on the host (docker0 172.17.0.0/16, podman's cni-podman0
// 10.88.0.0/16, the LAN), another network of this state root, or a network
// another tug state root has claimed (claims live host-wide under /run/tug, so
// two roots never bring up the same subnet; a claim whose root is gone is stale).
import { readFileSync, readdirSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { formatCidr, mask, overlaps, parseCidr, type Cidr } from './ipv4.js';

export const HOST_STATE_DIR = process.env.TUG_NETWORK_HOST_DIR ?? '/run/tug';
const claimsDir = (): string => join(HOST_STATE_DIR, 'network-claims');

export interface Occupied {
  cidr: Cidr;
  what: string; // "route on eth0", "network foo", ...
}

/** Routes and interface addresses on the host (IPv4), excluding the default route and the bridges listed in `ours`. */
export function hostOccupied(ours: Set<string> = new Set()): Occupied[] {
  const out: Occupied[] = [];
  try {
    const lines = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [iface, dest, , , , , , maskHex] = line.trim().split(/\s+/);
      if (ours.has(iface)) continue;
      const base = leHex(dest);
      const m = leHex(maskHex);
      const prefix = 32 - Math.log2(2 ** 32 - m);
      if (m === 0 || !Number.isInteger(prefix)) continue; // default route / odd masks
      out.push({ cidr: { base: (base & mask(prefix)) >>> 0, prefix }, what: `a host route on ${iface}` });
    }
  } catch {
    /* no procfs: interfaces below still count */
  }
  for (const [iface, addrs] of Object.entries(networkInterfaces())) {
    if (ours.has(iface)) continue;
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal || !a.cidr) continue;
      const c = parseCidr(a.cidr, true);
      if (c) out.push({ cidr: c, what: `interface ${iface}` });
    }
  }
  return out;
}

function leHex(h: string): number {
  const n = parseInt(h, 16);
  return (((n & 0xff) << 24) | (((n >>> 8) & 0xff) << 16) | (((n >>> 16) & 0xff) << 8) | ((n >>> 24) & 0xff)) >>> 0;
}

interface Claim {
  root: string;
  networkId: string;
  name: string;
}

const claimFile = (c: Cidr): string => join(claimsDir(), formatCidr(c).replace('/', '_'));

/** Subnets claimed by other, still existing, state roots. Stale claims are removed on the way. */
export function foreignClaims(myRoot: string): Occupied[] {
  const out: Occupied[] = [];
  let names: string[];
  try {
    names = readdirSync(claimsDir());
  } catch {
    return out;
  }
  for (const n of names) {
    const cidr = parseCidr(n.replace('_', '/'));
    if (!cidr) continue;
    let claim: Claim;
    try {
      claim = JSON.parse(readFileSync(join(claimsDir(), n), 'utf8')) as Claim;
    } catch {
      continue;
    }
    if (claim.root === myRoot) continue;
    if (!existsSync(join(claim.root, 'meta.db'))) {
      rmSync(join(claimsDir(), n), { force: true });
      continue;
    }
    out.push({ cidr, what: `network ${claim.name} of tug root ${claim.root}` });
  }
  return out;
}

export function claimSubnet(root: string, c: Cidr, networkId: string, name: string): void {
  mkdirSync(claimsDir(), { recursive: true });
  writeFileSync(claimFile(c), JSON.stringify({ root, networkId, name } satisfies Claim));
}

export function releaseSubnet(root: string, c: Cidr): void {
  try {
    const claim = JSON.parse(readFileSync(claimFile(c), 'utf8')) as Claim;
    if (claim.root !== root) return;
  } catch {
    return;
  }
  rmSync(claimFile(c), { force: true });
}

export function firstOverlap(c: Cidr, occupied: Occupied[]): Occupied | undefined {
  return occupied.find((o) => overlaps(o.cidr, c));
}

/** The first free /24 of tug's pool 10.90.0.0/16 (then 10.91…10.99), like docker's default address pools. */
export function pickFreeSubnet(occupied: Occupied[]): Cidr | undefined {
  for (let second = 90; second <= 99; second++) {
    for (let third = 0; third < 256; third++) {
      const c: Cidr = { base: ((10 << 24) >>> 0) + (second << 16) + (third << 8), prefix: 24 };
      if (!firstOverlap(c, occupied)) return c;
    }
  }
  return undefined;
}
