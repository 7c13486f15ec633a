// Network management: the built-in networks (bridge, host, none), create,
// list, inspect, remove and prune. A bridge network is only a row until its
// first container: netavark creates the Linux bridge at the first setup and
// deletes it at the last teardown.
import { randomBytes, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { writeTx, type Db } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { contains, formatCidr, formatIp, last, mustParseIp, parseCidr, type Cidr } from './ipv4.js';
import {
  deleteNetworkRow, endpointsOn, findNetwork, insertNetwork, listNetworks, mustFindNetwork, openNetworkDb,
} from './store.js';
import { claimSubnet, firstOverlap, foreignClaims, hostOccupied, pickFreeSubnet, releaseSubnet, type Occupied } from './subnets.js';
import type { NetworkCreateOptions, NetworkRecord } from './types.js';

export const DEFAULT_NETWORK = 'bridge';
const DEFAULT_ROOT = '/var/lib/tug';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

const newId = (): string => randomBytes(32).toString('hex');

/** tug0 for the default root's default bridge; roots used by tests get their own names so they never share a bridge. */
function defaultBridgeName(root: string): string {
  return root === DEFAULT_ROOT ? 'tug0' : `tug0-${createHash('sha256').update(root).digest('hex').slice(0, 10)}`;
}

function occupiedFor(db: Db, root: string, except?: string): Occupied[] {
  const mine = listNetworks(db).filter((n) => n.subnet && n.id !== except);
  const ours = new Set(mine.map((n) => n.bridge));
  const out = [...hostOccupied(ours), ...foreignClaims(root)];
  for (const n of mine) {
    const c = parseCidr(n.subnet);
    if (c) out.push({ cidr: c, what: `network ${n.name}` });
  }
  return out;
}

/** Creates bridge/host/none on first use. Cheap when they exist. */
export function ensureDefaults(db: Db, root: string): void {
  const have = new Set((db.prepare("SELECT name FROM networks WHERE builtin = 1").all() as Array<{ name: string }>).map((r) => r.name));
  if (have.size === 3) return;
  const occupied = have.has(DEFAULT_NETWORK) ? [] : occupiedFor(db, root);
  writeTx(db, () => {
    const now = new Date().toISOString();
    const base = { ipRange: '', internal: false, dnsEnabled: false, labels: {}, options: {}, created: now, builtin: true };
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!findNetwork(db, name)) insertNetwork(db, { ...base, id: newId(), name, driver, bridge: '', subnet: '', gateway: '' });
    }
    if (!findNetwork(db, DEFAULT_NETWORK)) {
      const c = pickFreeSubnet(occupied);
      if (!c) throw new TugError('NETWORK', 'no free subnet for the default bridge network in 10.90.0.0/15-10.99.0.0/16');
      const id = newId();
      insertNetwork(db, { ...base, id, name: DEFAULT_NETWORK, driver: 'bridge', bridge: defaultBridgeName(root), subnet: formatCidr(c), gateway: formatIp(c.base + 1) });
      claimSubnet(root, c, id, DEFAULT_NETWORK);
    }
  });
}

export function openNetworks(root: string): Db {
  const db = openNetworkDb(root);
  ensureDefaults(db, root);
  return db;
}

function cidrArg(s: string, flagName: string): Cidr {
  const loose = parseCidr(s, true);
  if (!loose) throw new TugError('INVALID_ARGUMENT', `invalid ${flagName} ${s}: not an IPv4 CIDR`, { hint: `e.g. --${flagName} 10.231.5.0/24 (IPv6 is not supported yet)` });
  const strict = parseCidr(s);
  if (!strict) throw new TugError('INVALID_ARGUMENT', `invalid ${flagName} ${s}: it should be ${formatCidr(loose)}`);
  return strict;
}

export function createNetwork(root: string, opts: NetworkCreateOptions): NetworkRecord {
  const db = openNetworks(root);
  const name = opts.name;
  if (!NAME_RE.test(name)) {
    throw new TugError('INVALID_ARGUMENT', `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  const driver = opts.driver ?? 'bridge';
  if (driver !== 'bridge') throw new TugError('UNSUPPORTED', `network driver "${driver}" is not supported`, { hint: 'tug supports --driver bridge' });
  if (findNetwork(db, name)?.name === name) throw new TugError('ALREADY_EXISTS', `network with name ${name} already exists`);

  const id = newId();
  let subnet: Cidr;
  const occupied = occupiedFor(db, root);
  if (opts.subnet) {
    subnet = cidrArg(opts.subnet, 'subnet');
    if (subnet.prefix > 30) throw new TugError('INVALID_ARGUMENT', `subnet ${opts.subnet} is too small: use a prefix of /30 or shorter`);
    const clash = firstOverlap(subnet, occupied);
    if (clash) {
      throw new TugError('CONFLICT', `subnet ${opts.subnet} overlaps with ${clash.what} (${formatCidr(clash.cidr)})`, {
        hint: 'choose another --subnet; `ip route` and `tug network inspect` show what is taken',
      });
    }
  } else {
    if (opts.gateway || opts.ipRange) throw new TugError('INVALID_ARGUMENT', '--gateway and --ip-range need --subnet');
    const c = pickFreeSubnet(occupied);
    if (!c) throw new TugError('NETWORK', 'could not find a free subnet for the network', { hint: 'give one with --subnet' });
    subnet = c;
  }
  let gateway = subnet.base + 1;
  if (opts.gateway) {
    gateway = mustParseIp(opts.gateway, 'gateway');
    if (!contains(subnet, gateway) || gateway === subnet.base || gateway === last(subnet)) {
      throw new TugError('INVALID_ARGUMENT', `gateway ${opts.gateway} is not a usable address of subnet ${formatCidr(subnet)}`);
    }
  }
  let ipRange = '';
  if (opts.ipRange) {
    const r = cidrArg(opts.ipRange, 'ip-range');
    if (!contains(subnet, r.base) || !contains(subnet, last(r))) {
      throw new TugError('INVALID_ARGUMENT', `ip-range ${opts.ipRange} is not inside subnet ${formatCidr(subnet)}`);
    }
    ipRange = formatCidr(r);
  }
  const rec: NetworkRecord = {
    id, name, driver: 'bridge', bridge: `tug-${id.slice(0, 11)}`, subnet: formatCidr(subnet), gateway: formatIp(gateway), ipRange,
    internal: opts.internal ?? false, dnsEnabled: true, labels: opts.labels ?? {}, options: opts.options ?? {},
    created: new Date().toISOString(), builtin: false,
  };
  writeTx(db, () => {
    // re-check inside the lock: another tug process may have created one meanwhile
    if (findNetwork(db, name)?.name === name) throw new TugError('ALREADY_EXISTS', `network with name ${name} already exists`);
    const clash = firstOverlap(subnet, occupiedFor(db, root).filter((o) => o.what.startsWith('network ')));
    if (clash) throw new TugError('CONFLICT', `subnet ${formatCidr(subnet)} overlaps with ${clash.what} (${formatCidr(clash.cidr)})`);
    insertNetwork(db, rec);
  });
  claimSubnet(root, subnet, id, name);
  return rec;
}

export function listAll(root: string): NetworkRecord[] {
  return listNetworks(openNetworks(root));
}

export function getNetwork(root: string, ref: string): NetworkRecord {
  return mustFindNetwork(openNetworks(root), ref);
}

function deleteLink(bridge: string): Promise<void> {
  return new Promise((resolve) => execFile('ip', ['link', 'del', bridge], () => resolve()));
}

/** Removes one network; refuses built-ins and networks with containers attached. */
export async function removeNetwork(root: string, ref: string): Promise<NetworkRecord> {
  const db = openNetworks(root);
  const n = mustFindNetwork(db, ref);
  if (n.builtin) throw new TugError('CONFLICT', `${n.name} is a pre-defined network and cannot be removed`);
  writeTx(db, () => {
    const eps = endpointsOn(db, n.id);
    if (eps.length) {
      const names = db.prepare(`SELECT container_name FROM net_sandboxes WHERE container_id IN (${eps.map(() => '?').join(',')})`)
        .all(...eps.map((e) => e.containerId)) as Array<{ container_name: string }>;
      throw new TugError('CONFLICT', `error while removing network: network ${n.name} has active endpoints (${names.map((r) => r.container_name).join(', ')})`, {
        hint: `stop or disconnect them first: tug network disconnect ${n.name} CONTAINER`,
      });
    }
    deleteNetworkRow(db, n.id);
  });
  const c = parseCidr(n.subnet);
  if (c) releaseSubnet(root, c);
  // netavark removes the bridge with the last container; a crash can leave it behind
  if (n.bridge && existsSync(`/sys/class/net/${n.bridge}`)) await deleteLink(n.bridge);
  return n;
}

/** Removes every user-defined network without containers; returns their names. */
export async function pruneNetworks(root: string, filter: (n: NetworkRecord) => boolean = () => true): Promise<string[]> {
  const db = openNetworks(root);
  const removed: string[] = [];
  for (const n of listNetworks(db)) {
    if (n.builtin || !filter(n) || endpointsOn(db, n.id).length) continue;
    try {
      await removeNetwork(root, n.id);
      removed.push(n.name);
    } catch (e) {
      if (!(e instanceof TugError && e.code === 'CONFLICT')) throw e; // got a container meanwhile: keep it
    }
  }
  return removed;
}

/** docker network inspect's JSON shape. */
export function inspectNetwork(root: string, ref: string): Record<string, unknown> {
  const db = openNetworks(root);
  const n = mustFindNetwork(db, ref);
  const containers: Record<string, unknown> = {};
  for (const e of endpointsOn(db, n.id)) {
    const s = db.prepare('SELECT container_name FROM net_sandboxes WHERE container_id = ?').get(e.containerId) as { container_name: string } | undefined;
    containers[e.containerId] = {
      Name: s?.container_name ?? '',
      EndpointID: e.endpointId,
      MacAddress: e.mac,
      IPv4Address: `${e.ip}/${e.prefix}`,
      IPv6Address: '',
    };
  }
  const options: Record<string, string> = { ...n.options };
  if (n.bridge) options['com.docker.network.bridge.name'] = n.bridge;
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: {},
      Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [],
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: containers,
    Options: options,
    Labels: n.labels,
  };
}
