// Rows <-> records for the network tables. Callers that write wrap these in
// writeTx; the functions themselves do no locking.
import { openDb, type Db } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { networkMigrations } from './schema.js';
import type { EndpointRecord, NetworkRecord, PortMapping } from './types.js';

export function openNetworkDb(root: string): Db {
  return openDb(root, [networkMigrations]);
}

interface NetworkRow {
  id: string;
  name: string;
  driver: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ip_range: string;
  internal: number;
  dns_enabled: number;
  labels: string;
  options: string;
  created: string;
  builtin: number;
}

const toNetwork = (r: NetworkRow): NetworkRecord => ({
  id: r.id,
  name: r.name,
  driver: r.driver as NetworkRecord['driver'],
  bridge: r.bridge,
  subnet: r.subnet,
  gateway: r.gateway,
  ipRange: r.ip_range,
  internal: r.internal === 1,
  dnsEnabled: r.dns_enabled === 1,
  labels: JSON.parse(r.labels),
  options: JSON.parse(r.options),
  created: r.created,
  builtin: r.builtin === 1,
});

export function insertNetwork(db: Db, n: NetworkRecord): void {
  db.prepare(
    `INSERT INTO networks (id, name, driver, bridge, subnet, gateway, ip_range, internal, dns_enabled, labels, options, created, builtin)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(n.id, n.name, n.driver, n.bridge, n.subnet, n.gateway, n.ipRange, n.internal ? 1 : 0, n.dnsEnabled ? 1 : 0,
    JSON.stringify(n.labels), JSON.stringify(n.options), n.created, n.builtin ? 1 : 0);
}

export function listNetworks(db: Db): NetworkRecord[] {
  return (db.prepare('SELECT * FROM networks ORDER BY name').all() as NetworkRow[]).map(toNetwork);
}

export function networkById(db: Db, id: string): NetworkRecord | undefined {
  const r = db.prepare('SELECT * FROM networks WHERE id = ?').get(id) as NetworkRow | undefined;
  return r && toNetwork(r);
}

/** docker's lookup order: exact name, full id, unique id prefix. */
export function findNetwork(db: Db, ref: string): NetworkRecord | undefined {
  let r = db.prepare('SELECT * FROM networks WHERE name = ?').get(ref) as NetworkRow | undefined;
  r ??= db.prepare('SELECT * FROM networks WHERE id = ?').get(ref) as NetworkRow | undefined;
  if (!r && /^[0-9a-f]{1,64}$/.test(ref)) {
    const rows = db.prepare("SELECT * FROM networks WHERE id LIKE ? || '%' LIMIT 2").all(ref) as NetworkRow[];
    if (rows.length > 1) throw new TugError('INVALID_ARGUMENT', `network ${ref} is ambiguous (${rows.length} matches found based on ID prefix)`, { hint: 'give more characters of the id, or the name' });
    r = rows[0];
  }
  return r && toNetwork(r);
}

export function mustFindNetwork(db: Db, ref: string): NetworkRecord {
  const n = findNetwork(db, ref);
  if (!n) throw new TugError('NOT_FOUND', `network ${ref} not found`, { hint: "list networks with 'tug network ls'" });
  return n;
}

export function deleteNetworkRow(db: Db, id: string): void {
  db.prepare('DELETE FROM networks WHERE id = ?').run(id);
}

// ---- sandboxes (one per attached container)

export interface SandboxRecord {
  containerId: string;
  containerName: string;
  mode: string; // bridge | none | host | container:<id>
  netnsPath: string;
  ports: PortMapping[];
  etcHosts: string;
  resolvConf: string;
}

interface SandboxRow {
  container_id: string;
  container_name: string;
  mode: string;
  netns_path: string;
  ports: string;
  etc_hosts: string;
  resolv_conf: string;
}

const toSandbox = (r: SandboxRow): SandboxRecord => ({
  containerId: r.container_id,
  containerName: r.container_name,
  mode: r.mode,
  netnsPath: r.netns_path,
  ports: JSON.parse(r.ports),
  etcHosts: r.etc_hosts,
  resolvConf: r.resolv_conf,
});

export function getSandbox(db: Db, containerId: string): SandboxRecord | undefined {
  const r = db.prepare('SELECT * FROM net_sandboxes WHERE container_id = ?').get(containerId) as SandboxRow | undefined;
  return r && toSandbox(r);
}

/** A sandbox by container name, full id or unique id prefix (for `tug port`, `network connect`). */
export function findSandbox(db: Db, ref: string): SandboxRecord | undefined {
  const name = ref.startsWith('/') ? ref.slice(1) : ref;
  let r = db.prepare('SELECT * FROM net_sandboxes WHERE container_id = ? OR container_name = ? ORDER BY container_id = ? DESC LIMIT 1')
    .get(ref, name, ref) as SandboxRow | undefined;
  if (!r && /^[0-9a-f]{1,64}$/.test(ref)) {
    const rows = db.prepare("SELECT * FROM net_sandboxes WHERE container_id LIKE ? || '%' LIMIT 2").all(ref) as SandboxRow[];
    if (rows.length === 1) r = rows[0];
  }
  return r && toSandbox(r);
}

export function listSandboxes(db: Db): SandboxRecord[] {
  return (db.prepare('SELECT * FROM net_sandboxes').all() as SandboxRow[]).map(toSandbox);
}

export function insertSandbox(db: Db, s: SandboxRecord): void {
  db.prepare(
    `INSERT INTO net_sandboxes (container_id, container_name, mode, netns_path, ports, etc_hosts, resolv_conf, created)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(s.containerId, s.containerName, s.mode, s.netnsPath, JSON.stringify(s.ports), s.etcHosts, s.resolvConf, new Date().toISOString());
}

export function updateSandboxFiles(db: Db, containerId: string, etcHosts: string, resolvConf: string): void {
  db.prepare('UPDATE net_sandboxes SET etc_hosts = ?, resolv_conf = ? WHERE container_id = ?').run(etcHosts, resolvConf, containerId);
}

export function deleteSandbox(db: Db, containerId: string): void {
  db.prepare('DELETE FROM net_sandboxes WHERE container_id = ?').run(containerId);
}

// ---- endpoints

interface EndpointRow {
  container_id: string;
  network_id: string;
  endpoint_id: string;
  ip: string;
  mac: string;
  aliases: string;
  ifname: string;
  opts: string;
  ready: number;
  name: string;
  subnet: string;
  gateway: string;
}

export interface StoredEndpoint extends EndpointRecord {
  /** The netavark options JSON used at setup; teardown needs the same. */
  opts: string;
  ready: boolean;
}

const toEndpoint = (r: EndpointRow): StoredEndpoint => ({
  containerId: r.container_id,
  networkId: r.network_id,
  networkName: r.name,
  endpointId: r.endpoint_id,
  ip: r.ip,
  prefix: Number(r.subnet.split('/')[1] ?? 0),
  gateway: r.gateway,
  mac: r.mac,
  aliases: JSON.parse(r.aliases),
  ifname: r.ifname,
  opts: r.opts,
  ready: r.ready === 1,
});

const endpointSelect = `SELECT e.*, n.name, n.subnet, n.gateway FROM net_endpoints e JOIN networks n ON n.id = e.network_id`;

export function endpointsOf(db: Db, containerId: string): StoredEndpoint[] {
  return (db.prepare(`${endpointSelect} WHERE e.container_id = ? ORDER BY e.ifname`).all(containerId) as EndpointRow[]).map(toEndpoint);
}

export function endpointsOn(db: Db, networkId: string): StoredEndpoint[] {
  return (db.prepare(`${endpointSelect} WHERE e.network_id = ? ORDER BY e.ip`).all(networkId) as EndpointRow[]).map(toEndpoint);
}

export function usedIps(db: Db, networkId: string): Set<string> {
  return new Set((db.prepare('SELECT ip FROM net_endpoints WHERE network_id = ?').all(networkId) as Array<{ ip: string }>).map((r) => r.ip));
}

export function insertEndpoint(db: Db, e: StoredEndpoint): void {
  db.prepare(
    `INSERT INTO net_endpoints (container_id, network_id, endpoint_id, ip, mac, aliases, ifname, opts, ready)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(e.containerId, e.networkId, e.endpointId, e.ip, e.mac, JSON.stringify(e.aliases), e.ifname, e.opts, e.ready ? 1 : 0);
}

export function markEndpointReady(db: Db, containerId: string, networkId: string, mac: string): void {
  db.prepare('UPDATE net_endpoints SET ready = 1, mac = ? WHERE container_id = ? AND network_id = ?').run(mac, containerId, networkId);
}

export function deleteEndpoint(db: Db, containerId: string, networkId: string): void {
  db.prepare('DELETE FROM net_endpoints WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
}
