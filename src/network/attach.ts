// The runtime's entry points: attach a container to its networks before it
// starts, detach it after it stops. Order matters (measured, see
// shared/notes/conmon-netavark.md): reserve addresses and ports in one write
// transaction, create the netns, netavark setup per network; on the way down
// netavark teardown with the SAME options JSON first, then delete the netns,
// and only then release the addresses. Anything half-done is undone.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeTx, type Db } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { buildHosts, buildResolv, hostFile, parseAddHost, type HostEntry } from './etcfiles.js';
import { allocateIp, validMac } from './ipam.js';
import { waitForName } from './dnswait.js';
import { linkEnv, linkHostEntry } from './links.js';
import { netavarkNetwork, netavarkPorts, netavarkSetup, netavarkTeardown, backend, type NetavarkOptions, type NetavarkStatus } from './netavark.js';
import { DEFAULT_NETWORK, openNetworks } from './networks.js';
import { createNetns, deleteNetns, netnsPath, pinBridgeMac } from './netns.js';
import { bindingsClash, hostBindings, probePort } from './ports.js';
import {
  deleteSandbox, endpointsOf, getSandbox, insertEndpoint, insertSandbox, listSandboxes, markEndpointReady, mustFindNetwork,
  updateSandboxFiles, type StoredEndpoint,
} from './store.js';
import type { AttachOptions, AttachResult, EndpointRecord, NetworkJoin, NetworkRecord, PortMapping } from './types.js';

export const netavarkConfigDir = (runRoot: string): string => join(runRoot, 'networks');

// TUG_NET_TRACE=1 prints where attach spends its time (stderr).
const t0 = performance.now();
const trace = (what: string): void => {
  if (process.env.TUG_NET_TRACE) process.stderr.write(`[net ${(performance.now() - t0).toFixed(1)} ms] ${what}\n`);
};

export const publicEndpoint = ({ opts: _o, ready: _r, ...e }: StoredEndpoint): EndpointRecord => e;

function defaultGateway(db: Db): string {
  return mustFindNetwork(db, DEFAULT_NETWORK).gateway;
}

// ---- ports

function usedBindings(db: Db, exceptContainer: string): Array<{ ip: string; port: number; protocol: PortMapping['protocol']; owner: string }> {
  const out: Array<{ ip: string; port: number; protocol: PortMapping['protocol']; owner: string }> = [];
  for (const s of listSandboxes(db)) {
    if (s.containerId === exceptContainer) continue;
    for (const b of hostBindings(s.ports)) out.push({ ...b, owner: s.containerName });
  }
  return out;
}

function portInUse(p: { ip: string; port: number; protocol: string }, by?: string): TugError {
  return new TugError('CONFLICT', `cannot publish ${p.ip || '0.0.0.0'}:${p.port}/${p.protocol}: the host port is already in use${by ? ` by container ${by}` : ''}`, {
    hint: 'choose another host port, or leave it out (-p CONTAINERPORT) to get a free one',
  });
}

/** Gives every mapping a concrete, free host port. */
async function resolvePorts(db: Db, containerId: string, ports: PortMapping[]): Promise<PortMapping[]> {
  const used = usedBindings(db, containerId);
  const chosen: Array<{ ip: string; port: number; protocol: PortMapping['protocol']; owner: string }> = [];
  const clash = (b: { ip: string; port: number; protocol: PortMapping['protocol'] }): { owner: string } | undefined =>
    [...used, ...chosen].find((u) => bindingsClash(u, b));
  const out: PortMapping[] = [];
  for (const m of ports) {
    const { hostPortEnd, ...base } = m;
    if (hostPortEnd !== undefined) {
      let got: number | undefined;
      for (let p = m.hostPort; p <= hostPortEnd && got === undefined; p++) {
        const b = { ip: m.hostIp, port: p, protocol: m.protocol };
        if (!clash(b) && (await probePort(m.hostIp, p, m.protocol)) !== undefined) got = p;
      }
      if (got === undefined) throw portInUse({ ip: m.hostIp, port: m.hostPort, protocol: `${m.protocol} (range ${m.hostPort}-${hostPortEnd})` });
      chosen.push({ ip: m.hostIp, port: got, protocol: m.protocol, owner: '' });
      out.push({ ...base, hostPort: got, range: 1 });
      continue;
    }
    if (m.hostPort === 0) {
      let got: number | undefined;
      for (let tries = 0; tries < 50 && got === undefined; tries++) {
        const p = await probePort(m.hostIp, 0, m.protocol);
        if (p !== undefined && !clash({ ip: m.hostIp, port: p, protocol: m.protocol })) got = p;
      }
      if (got === undefined) throw new TugError('NETWORK', `no free host port for ${m.containerPort}/${m.protocol}`);
      chosen.push({ ip: m.hostIp, port: got, protocol: m.protocol, owner: '' });
      out.push({ ...base, hostPort: got, range: 1 });
      continue;
    }
    for (let i = 0; i < m.range; i++) {
      const b = { ip: m.hostIp, port: m.hostPort + i, protocol: m.protocol };
      const c = clash(b);
      if (c) throw portInUse(b, c.owner || undefined);
      if ((await probePort(b.ip, b.port, b.protocol)) === undefined) throw portInUse(b);
      chosen.push({ ...b, owner: '' });
    }
    out.push(base);
  }
  return out;
}

// ---- options JSON

export function optionsJson(o: {
  containerId: string; containerName: string; net: NetworkRecord; ip: string; mac?: string; aliases: string[];
  ifname: string; ports: PortMapping[]; dns?: string[];
}): string {
  const opts: NetavarkOptions = {
    container_id: o.containerId,
    container_name: o.containerName,
    networks: {
      [o.net.name]: {
        interface_name: o.ifname,
        static_ips: [o.ip],
        aliases: o.net.dnsEnabled ? [...new Set([...o.aliases, o.containerId.slice(0, 12)])] : [],
        ...(o.mac ? { static_mac: o.mac } : {}),
      },
    },
    network_info: { [o.net.name]: netavarkNetwork(o.net) },
  };
  if (o.ports.length) opts.port_mappings = netavarkPorts(o.ports);
  if (o.dns?.length && o.net.dnsEnabled) opts.dns_servers = o.dns;
  return JSON.stringify(opts);
}

export function macFromStatus(status: NetavarkStatus, net: string, ifname: string): string {
  return status[net]?.interfaces?.[ifname]?.mac_address ?? '';
}

// ---- attach

function checkJoin(n: NetworkRecord, j: NetworkJoin): void {
  if (n.driver !== 'bridge') {
    throw new TugError('INVALID_ARGUMENT', `network ${n.name} cannot be combined with other networks`, { hint: `use --network ${n.name} alone` });
  }
  if (n.builtin && j.ip) throw new TugError('INVALID_ARGUMENT', 'user specified IP address is supported on user defined networks only');
  if (n.builtin && j.aliases?.length) throw new TugError('INVALID_ARGUMENT', 'network-scoped alias is supported only for containers in user defined networks');
  if (j.mac) validMac(j.mac);
}

/** Checks `run`/`create`'s networks up front (docker refuses an unknown network at create): they exist and allow the options. */
export function validateJoins(root: string, joins: NetworkJoin[]): void {
  const db = openNetworks(root);
  for (const j of joins) checkJoin(mustFindNetwork(db, j.name), j);
}

export async function attach(o: AttachOptions): Promise<AttachResult> {
  const db = openNetworks(o.root);
  if (getSandbox(db, o.containerId)) await detach({ root: o.root, runRoot: o.runRoot, containerId: o.containerId });
  const hostGateway = (): string => defaultGateway(db);
  const extraHosts: HostEntry[] = (o.addHosts ?? []).map((h) => parseAddHost(h, hostGateway));
  const mode = o.mode;

  if (mode.kind !== 'bridge') {
    if (o.links?.length) throw new TugError('INVALID_ARGUMENT', `conflicting options: --link cannot be used with --network ${mode.kind}`);
    if (mode.kind === 'container' && o.ports?.length) {
      throw new TugError('INVALID_ARGUMENT', 'conflicting options: port publishing and the container type network mode');
    }
    let result: AttachResult;
    if (mode.kind === 'container') {
      const other = getSandbox(db, mode.containerId);
      if (!other) throw new TugError('CONFLICT', `cannot join the network namespace of container ${mode.containerId.slice(0, 12)}: it is not running`);
      result = {
        netnsPath: other.netnsPath || undefined, hostNetwork: other.mode === 'host', etcHosts: other.etcHosts, resolvConf: other.resolvConf,
        env: [], endpoints: endpointsOf(db, other.containerId).map(publicEndpoint), ports: other.ports,
      };
    } else if (mode.kind === 'host') {
      const hosts = hostFile('/etc/hosts') + extraHosts.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
      result = { hostNetwork: true, etcHosts: hosts, resolvConf: buildResolv({ networkDns: [], networkSearch: [], dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions, hostNetwork: true }), env: [], endpoints: [], ports: [] };
    } else {
      result = { hostNetwork: false, etcHosts: buildHosts(undefined, extraHosts), resolvConf: buildResolv({ networkDns: [], networkSearch: [], dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions, hostNetwork: false }), env: [], endpoints: [], ports: [] };
    }
    writeTx(db, () => insertSandbox(db, {
      containerId: o.containerId, containerName: o.containerName, mode: mode.kind === 'container' ? `container:${mode.containerId}` : mode.kind,
      netnsPath: '', ports: [], etcHosts: result.etcHosts, resolvConf: result.resolvConf,
    }));
    return result;
  }

  backend(); // a missing netavark is reported before anything is made
  const joins = mode.networks.length ? mode.networks : [{ name: DEFAULT_NETWORK }];
  const nets = joins.map((j) => {
    const n = mustFindNetwork(db, j.name);
    checkJoin(n, j);
    return n;
  });
  if (new Set(nets.map((n) => n.id)).size !== nets.length) throw new TugError('INVALID_ARGUMENT', 'a network was given twice');

  // links: the linked container must be up on a network this one joins
  const linkHosts: HostEntry[] = [];
  const env: string[] = [];
  for (const l of o.links ?? []) {
    const theirs = endpointsOf(db, l.containerId);
    const shared = theirs.find((e) => nets.some((n) => n.id === e.networkId));
    if (!theirs.length) throw new TugError('CONFLICT', `cannot link to a non running container: /${l.containerName} AS /${o.containerName}/${l.alias}`);
    if (!shared) throw new TugError('CONFLICT', `cannot link to /${l.containerName}, as it does not belong to the network of this container`, { hint: `put both on the same network (--network ${theirs[0].networkName})` });
    linkHosts.push(linkHostEntry(shared.ip, l.alias, l.hostname, l.containerName));
    env.push(...linkEnv({ containerName: o.containerName, alias: l.alias, ip: shared.ip, exposedPorts: l.exposedPorts, env: l.env }));
  }

  const path = netnsPath(o.containerId);
  const configDir = netavarkConfigDir(o.runRoot);
  let ports: PortMapping[] = [];
  let endpoints: StoredEndpoint[] = [];
  for (let attempt = 0; ; attempt++) {
    ports = await resolvePorts(db, o.containerId, o.ports ?? []);
    try {
      endpoints = writeTx(db, () => {
        // another tug process may have taken a port since the probe
        for (const b of hostBindings(ports)) {
          const c = usedBindings(db, o.containerId).find((u) => bindingsClash(u, b));
          if (c) throw portInUse(b, c.owner);
        }
        insertSandbox(db, { containerId: o.containerId, containerName: o.containerName, mode: 'bridge', netnsPath: path, ports, etcHosts: '', resolvConf: '' });
        return nets.map((n, i) => {
          const j = joins[i];
          const ip = allocateIp(db, n, j.ip);
          const ifname = `eth${i}`;
          const mac = j.mac ? validMac(j.mac) : '';
          const e: StoredEndpoint = {
            containerId: o.containerId, networkId: n.id, networkName: n.name, endpointId: randomBytes(32).toString('hex'), ip,
            prefix: Number(n.subnet.split('/')[1]), gateway: n.gateway, mac, aliases: j.aliases ?? [], ifname, ready: false,
            opts: optionsJson({ containerId: o.containerId, containerName: o.containerName, net: n, ip, mac, aliases: j.aliases ?? [], ifname, ports: i === 0 ? ports : [], dns: o.dns }),
          };
          insertEndpoint(db, e);
          return e;
        });
      });
      break;
    } catch (e) {
      const racedRandomPort = e instanceof TugError && e.code === 'CONFLICT' && (o.ports ?? []).some((p) => p.hostPort === 0 || p.hostPortEnd);
      if (!racedRandomPort || attempt >= 3) throw e;
    }
  }

  let dnsServers: string[] = [];
  let dnsSearch: string[] = [];
  // a failed setup can leave its bridge, veth and rules behind: tear down whatever was tried
  const attempted = new Set<StoredEndpoint>();
  try {
    trace('reserved address and ports');
    await createNetns(o.containerId);
    trace('netns created');
    for (const e of endpoints) {
      attempted.add(e);
      const status = await netavarkSetup(configDir, path, e.opts);
      e.ready = true;
      e.mac = macFromStatus(status, e.networkName, e.ifname) || e.mac;
      writeTx(db, () => markEndpointReady(db, o.containerId, e.networkId, e.mac));
      const st = status[e.networkName];
      const n = nets.find((x) => x.id === e.networkId);
      trace(`netavark setup ${e.networkName}`);
      if (n) await pinBridgeMac(n.bridge);
      if (n?.dnsEnabled && st?.dns_server_ips?.length) {
        dnsServers = [...dnsServers, ...st.dns_server_ips];
        dnsSearch = [...dnsSearch, ...(st.dns_search_domains ?? [])];
      }
    }
  } catch (err) {
    await undo(db, o.containerId, configDir, path, [...attempted]);
    throw err;
  }

  // containers started next may look this one up at once: let aardvark catch up first
  await Promise.all(nets.filter((n) => n.dnsEnabled).map((n) => waitForName(n.gateway, o.containerName, true, configDir)));
  trace('aardvark answers');
  const own = endpoints[0];
  const etcHosts = buildHosts({ ip: own.ip, names: [o.hostname] }, [...extraHosts, ...linkHosts]);
  const resolvConf = buildResolv({ networkDns: [...new Set(dnsServers)], networkSearch: [...new Set(dnsSearch)], dns: o.dns, dnsSearch: o.dnsSearch, dnsOptions: o.dnsOptions, hostNetwork: false });
  writeTx(db, () => updateSandboxFiles(db, o.containerId, etcHosts, resolvConf));
  return { netnsPath: path, hostNetwork: false, etcHosts, resolvConf, env, endpoints: endpoints.map(publicEndpoint), ports };
}

async function undo(db: Db, containerId: string, configDir: string, path: string, endpoints: StoredEndpoint[]): Promise<void> {
  for (const e of [...endpoints].reverse()) {
    try {
      await netavarkTeardown(configDir, path, e.opts);
    } catch {
      /* best effort: we are already failing */
    }
  }
  await deleteNetns(containerId).catch(() => {});
  writeTx(db, () => deleteSandbox(db, containerId));
}

// ---- detach

export interface DetachOptions {
  root: string;
  runRoot: string;
  containerId: string;
}

/**
 * Tears a container's networking down: netavark teardown per network (same
 * options JSON), then the netns, then the rows (addresses, ports). Idempotent
 * and safe after a crash: a netns that vanished is recreated so teardown can
 * run, and a network left with stale rules is repaired. Returns warnings
 * rather than failing, so `rm` always completes.
 */
export async function detach(o: DetachOptions): Promise<{ warnings: string[] }> {
  const db = openNetworks(o.root);
  const warnings: string[] = [];
  const sandbox = getSandbox(db, o.containerId);
  if (!sandbox) {
    await deleteNetns(o.containerId).catch(() => {});
    return { warnings };
  }
  const configDir = netavarkConfigDir(o.runRoot);
  const path = netnsPath(o.containerId);
  const endpoints = endpointsOf(db, o.containerId);
  if (sandbox.mode === 'bridge' && endpoints.length) {
    const lost = !existsSync(path);
    if (lost) await createNetns(o.containerId); // teardown needs a netns to open
    for (const e of [...endpoints].reverse()) {
      try {
        await netavarkTeardown(configDir, path, e.opts);
      } catch (err) {
        if (e.ready || lost) warnings.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (lost) {
      for (const e of endpoints) await repairNetwork(db, configDir, e, o.containerId).catch((err) => warnings.push(String(err)));
    }
  }
  await deleteNetns(o.containerId);
  writeTx(db, () => deleteSandbox(db, o.containerId));
  return { warnings };
}

/**
 * After a crash that lost the netns, teardown cannot remove the network's
 * rules or bridge. If no other container uses the network, a throwaway
 * setup + teardown on it (unused address, no ports) makes netavark remove them.
 */
async function repairNetwork(db: Db, configDir: string, e: StoredEndpoint, containerId: string): Promise<void> {
  const others = (db.prepare('SELECT COUNT(*) AS n FROM net_endpoints WHERE network_id = ? AND container_id != ? AND ready = 1')
    .get(e.networkId, containerId) as { n: number }).n;
  if (others > 0) return;
  const n = mustFindNetwork(db, e.networkId);
  const tmpId = randomBytes(32).toString('hex');
  const ip = allocateIp(db, n);
  const opts = optionsJson({ containerId: tmpId, containerName: `repair-${tmpId.slice(0, 12)}`, net: n, ip, aliases: [], ifname: 'eth0', ports: [] });
  const p = await createNetns(tmpId);
  try {
    await netavarkSetup(configDir, p, opts);
    await netavarkTeardown(configDir, p, opts);
  } finally {
    await deleteNetns(tmpId);
  }
}
