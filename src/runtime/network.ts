// The seam to the network module. The runtime asks for a container's network
// before it writes the spec and releases it on cleanup. 'private' (loopback
// only, records from before the network module) is handled here; none, host,
// bridge networks and container:<ref> go through src/network (netavark).
import { readFileSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import type { RuntimePaths } from './paths.js';
import type { ContainerRecord, NetworkMode } from './types.js';
import type { NetworkMode as NetMode, LinkRequest, PortMapping } from '../network/types.js';

export interface NetworkAttachment {
  /** A network namespace to join (bind-mounted nsfs path); undefined = a fresh one (or the host's for host mode). */
  netnsPath?: string;
  /** Extra /etc/hosts lines ("10.0.0.2 web web.alias"). */
  hostsEntries: string[];
  /** resolv.conf content for the container. */
  resolvConf: string;
  /** The container's addresses, for inspect. */
  ipAddresses: Record<string, string>;
  /** The whole /etc/hosts, when the network module wrote it. */
  etcHosts?: string;
  /** Legacy --link variables; the container's own env wins over them. */
  env?: string[];
}

/** Kept for old callers: the network flags now come from cli/commands/network-run-flags.ts. */
export function parseNetworkMode(value: string | undefined): NetworkMode {
  if (value === undefined || value === 'default' || value === 'bridge') return { bridge: 'bridge' };
  if (value === 'none' || value === 'host' || value === 'private') return value;
  return { bridge: value };
}

export function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** `{ bridge: 'container:<ref>' }` is docker's NetworkMode "container:<ref>" (shown as is by inspect). */
function toNetMode(rec: ContainerRecord, find: (ref: string) => ContainerRecord | undefined): NetMode {
  const mode = rec.config.network;
  if (mode === 'none' || mode === 'host') return { kind: mode };
  if (mode === 'private') return { kind: 'none' };
  if (mode.bridge.startsWith('container:')) {
    const ref = mode.bridge.slice('container:'.length);
    const other = find(ref);
    if (!other) throw new TugError('NOT_FOUND', `cannot join network of container ${ref}: no such container`);
    if (other.state.status !== 'running') throw new TugError('CONFLICT', `cannot join network of a non running container: ${other.name}`);
    return { kind: 'container', containerId: other.id };
  }
  return { kind: 'bridge', networks: rec.config.net?.networks.length ? rec.config.net.networks : [{ name: mode.bridge }] };
}

/** At create: an unknown network or a misplaced --ip/--network-alias fails before anything is made. */
export async function checkNetworkConfig(root: string, cfg: { network: NetworkMode; net?: ContainerRecord['config']['net'] }): Promise<void> {
  const mode = cfg.network;
  if (typeof mode === 'string' || mode.bridge.startsWith('container:')) return;
  const { validateJoins } = await import('../network/attach.js');
  validateJoins(root, cfg.net?.networks.length ? cfg.net.networks : [{ name: mode.bridge }]);
}

/** Sets up networking for a start. Must be undone with detachNetworks, also on failure. */
export async function attachNetworks(p: RuntimePaths, rec: ContainerRecord, find: (ref: string) => ContainerRecord | undefined): Promise<NetworkAttachment> {
  if (rec.config.network === 'private') return { hostsEntries: [], resolvConf: hostResolvConf(), ipAddresses: {}, env: [] };
  const { attach } = await import('../network/attach.js');
  const { publishAll } = await import('../network/ports.js');
  const net = rec.config.net;
  const links: LinkRequest[] = (net?.links ?? []).map((l) => {
    const target = find(l.name);
    if (!target) throw new TugError('NOT_FOUND', `could not get container for ${l.name}: no such container`, { hint: 'start the linked container first' });
    return { alias: l.alias, containerId: target.id, containerName: target.name, hostname: target.config.hostname, env: target.config.env, exposedPorts: target.config.exposedPorts ?? [] };
  });
  const ports: PortMapping[] = [...(net?.ports ?? []), ...(net?.publishAll ? publishAll(rec.config.exposedPorts ?? []) : [])];
  const r = await attach({
    root: p.root, runRoot: p.runRoot, containerId: rec.id, containerName: rec.name, hostname: rec.config.hostname,
    mode: toNetMode(rec, find), ports, dns: net?.dns, dnsSearch: net?.dnsSearch, dnsOptions: net?.dnsOptions, addHosts: net?.addHosts, links,
  });
  const own = new Set(rec.config.env.map((e) => e.split('=')[0]));
  return {
    netnsPath: r.netnsPath, hostsEntries: [], resolvConf: r.resolvConf, etcHosts: r.etcHosts,
    ipAddresses: Object.fromEntries(r.endpoints.map((e) => [e.networkName, e.ip])),
    env: r.env.filter((e) => !own.has(e.split('=')[0])),
  };
}

/** Releases what attachNetworks made (idempotent: cleanup may run twice). */
export async function detachNetworks(p: RuntimePaths, rec: ContainerRecord): Promise<void> {
  if (rec.config.network === 'private') return;
  const { detach } = await import('../network/attach.js');
  const { warnings } = await detach({ root: p.root, runRoot: p.runRoot, containerId: rec.id });
  for (const w of warnings) process.stderr.write(`Warning: network teardown of ${rec.name}: ${w}\n`);
}
