// Live changes to a running container's networks (`network connect` and
// `disconnect`): one netavark setup/teardown for just that network, which
// also updates aardvark-dns, so name resolution follows at once.
import { randomBytes } from 'node:crypto';
import { writeTx } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { macFromStatus, netavarkConfigDir, optionsJson, publicEndpoint } from './attach.js';
import { allocateIp, validMac } from './ipam.js';
import { waitForName } from './dnswait.js';
import { netavarkSetup, netavarkTeardown } from './netavark.js';
import { pinBridgeMac } from './netns.js';
import { openNetworks } from './networks.js';
import {
  deleteEndpoint, endpointsOf, endpointsOn, findSandbox, insertEndpoint, markEndpointReady, mustFindNetwork, type SandboxRecord, type StoredEndpoint,
} from './store.js';
import type { EndpointRecord, PortMapping } from './types.js';
import type { Db } from '../meta/db.js';

function mustFindSandbox(db: Db, ref: string): SandboxRecord {
  const s = findSandbox(db, ref);
  if (!s) throw new TugError('NOT_FOUND', `no running container ${ref} is attached to a network`, { hint: 'start the container first (tug ps shows running containers)' });
  return s;
}

export interface ConnectOptions {
  root: string;
  runRoot: string;
  /** Container name, id or id prefix. */
  container: string;
  network: string;
  aliases?: string[];
  ip?: string;
  mac?: string;
}

export async function connect(o: ConnectOptions): Promise<EndpointRecord> {
  const db = openNetworks(o.root);
  const n = mustFindNetwork(db, o.network);
  const s = mustFindSandbox(db, o.container);
  if (s.mode !== 'bridge') throw new TugError('CONFLICT', `container ${s.containerName} uses --network ${s.mode.split(':')[0]} and cannot join other networks`);
  if (n.driver !== 'bridge') throw new TugError('CONFLICT', `container cannot be disconnected from host network or connected to ${n.name} network`);
  if (n.builtin && (o.ip || o.aliases?.length)) throw new TugError('INVALID_ARGUMENT', '--ip and --alias are supported on user defined networks only');
  const e = writeTx(db, () => {
    const existing = endpointsOf(db, s.containerId);
    if (existing.some((x) => x.networkId === n.id)) throw new TugError('ALREADY_EXISTS', `endpoint with name ${s.containerName} already exists in network ${n.name}`);
    const used = new Set(existing.map((x) => x.ifname));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const ip = allocateIp(db, n, o.ip);
    const mac = o.mac ? validMac(o.mac) : '';
    const rec: StoredEndpoint = {
      containerId: s.containerId, networkId: n.id, networkName: n.name, endpointId: randomBytes(32).toString('hex'), ip,
      prefix: Number(n.subnet.split('/')[1]), gateway: n.gateway, mac, aliases: o.aliases ?? [], ifname: `eth${i}`, ready: false,
      opts: optionsJson({ containerId: s.containerId, containerName: s.containerName, net: n, ip, mac, aliases: o.aliases ?? [], ifname: `eth${i}`, ports: [] }),
    };
    insertEndpoint(db, rec);
    return rec;
  });
  try {
    const status = await netavarkSetup(netavarkConfigDir(o.runRoot), s.netnsPath, e.opts);
    e.mac = macFromStatus(status, n.name, e.ifname) || e.mac;
    e.ready = true;
    writeTx(db, () => markEndpointReady(db, s.containerId, n.id, e.mac));
    await pinBridgeMac(n.bridge);
    if (n.dnsEnabled && !n.internal) await waitForName(n.gateway, e.aliases[0] ?? s.containerName, true, netavarkConfigDir(o.runRoot));
  } catch (err) {
    writeTx(db, () => deleteEndpoint(db, s.containerId, n.id));
    throw err;
  }
  return publicEndpoint(e);
}

export async function disconnect(o: { root: string; runRoot: string; container: string; network: string; force?: boolean }): Promise<void> {
  const db = openNetworks(o.root);
  const n = mustFindNetwork(db, o.network);
  const s = mustFindSandbox(db, o.container);
  const e = endpointsOf(db, s.containerId).find((x) => x.networkId === n.id);
  if (!e) throw new TugError('CONFLICT', `container ${s.containerName} is not connected to network ${n.name}`);
  try {
    await netavarkTeardown(netavarkConfigDir(o.runRoot), s.netnsPath, e.opts);
  } catch (err) {
    if (!o.force) throw err;
  }
  writeTx(db, () => deleteEndpoint(db, s.containerId, n.id));
  if (n.dnsEnabled && endpointsOn(db, n.id).length) await waitForName(n.gateway, s.containerName, false, netavarkConfigDir(o.runRoot));
}

/** Published ports of a running container (name, id or prefix). */
export function portsOf(root: string, container: string): PortMapping[] {
  return mustFindSandbox(openNetworks(root), container).ports;
}

/** A running container's endpoints and ports, for `inspect`'s NetworkSettings. */
export function networkSettings(root: string, containerId: string): { endpoints: EndpointRecord[]; ports: PortMapping[]; mode: string } | undefined {
  const db = openNetworks(root);
  const s = findSandbox(db, containerId);
  if (!s) return undefined;
  return { endpoints: endpointsOf(db, s.containerId).map(publicEndpoint), ports: s.ports, mode: s.mode };
}
