// Docker's shapes for what the runtime shows about a container's network:
// `inspect`'s NetworkSettings and `ps`'s PORTS column.
import { endpointsOf, getSandbox, openNetworkDb } from './store.js';
import type { PortMapping } from './types.js';

/** "80/tcp" → [{HostIp, HostPort}] as docker's NetworkSettings.Ports. */
function portsMap(ports: PortMapping[]): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of ports) {
    for (let i = 0; i < p.range; i++) {
      (out[`${p.containerPort + i}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort + i) });
    }
  }
  return out;
}

/** NetworkSettings of a running container, or undefined when it has no network attachment. */
export function networkSettingsJson(root: string, containerId: string): Record<string, unknown> | undefined {
  const db = openNetworkDb(root);
  const s = getSandbox(db, containerId);
  if (!s) return undefined;
  const eps = endpointsOf(db, containerId);
  const networks: Record<string, unknown> = {};
  for (const e of eps) {
    networks[e.networkName] = {
      Aliases: e.aliases.length ? e.aliases : null, NetworkID: e.networkId, EndpointID: e.endpointId, Gateway: e.gateway,
      IPAddress: e.ip, IPPrefixLen: e.prefix, MacAddress: e.mac, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0,
    };
  }
  if (!eps.length) networks[s.mode.startsWith('container:') ? 'container' : s.mode] = {};
  const first = eps[0];
  return {
    SandboxKey: s.netnsPath, Ports: portsMap(s.ports),
    IPAddress: first?.ip ?? '', IPPrefixLen: first?.prefix ?? 0, Gateway: first?.gateway ?? '', MacAddress: first?.mac ?? '',
    Networks: networks,
  };
}

/** docker ps's PORTS: "127.0.0.1:8080->80/tcp, 0.0.0.0:32768->443/tcp". */
export function portsText(root: string, containerId: string): string {
  const s = getSandbox(openNetworkDb(root), containerId);
  if (!s) return '';
  const parts: string[] = [];
  for (const p of s.ports) {
    const host = p.hostIp || '0.0.0.0';
    parts.push(p.range > 1
      ? `${host}:${p.hostPort}-${p.hostPort + p.range - 1}->${p.containerPort}-${p.containerPort + p.range - 1}/${p.protocol}`
      : `${host}:${p.hostPort}->${p.containerPort}/${p.protocol}`);
  }
  return parts.join(', ');
}
