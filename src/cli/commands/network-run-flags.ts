// The networking flags of `run` and `create` (docker's names) and their
// translation into the network mode plus ContainerNetOptions the runtime
// stores with the container. Syntax is checked here, so a bad -p, --add-host
// or --link fails before anything is created.
import type { FlagSpec, ParsedArgs } from '../args.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';
import { parsePublish } from '../../network/ports.js';
import { parseLink } from '../../network/links.js';
import { parseAddHost } from '../../network/etcfiles.js';
import { parseIp } from '../../network/ipv4.js';
import type { ContainerNetOptions, NetworkJoin } from '../../network/types.js';

const l = (name: string, description: string, short?: string): FlagSpec => ({ name, short, type: 'list', description });
const s = (name: string, description: string): FlagSpec => ({ name, type: 'string', description });

export const networkFlags: FlagSpec[] = [
  l('network', 'Connect a container to a network (bridge, NAME, host, none, container:NAME)'),
  l('net', 'Alias of --network'),
  l('network-alias', 'Add network-scoped alias for the container'),
  l('net-alias', 'Alias of --network-alias'),
  s('ip', 'IPv4 address (e.g., 172.30.100.104)'),
  { name: 'ip6', type: 'string', unsupported: true, description: 'IPv6 address' },
  s('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
  l('publish', "Publish a container's port(s) to the host", 'p'),
  { name: 'publish-all', short: 'P', type: 'bool', description: 'Publish all exposed ports to random ports' },
  l('expose', 'Expose a port or a range of ports'),
  l('link', 'Add link to another container'),
  l('dns', 'Set custom DNS servers'),
  l('dns-search', 'Set custom DNS search domains'),
  l('dns-option', 'Set DNS options'),
  l('dns-opt', 'Alias of --dns-option'),
  l('add-host', 'Add a custom host-to-IP mapping (host:ip, host:host-gateway)'),
];

/** The runtime's network mode: 'none' | 'host' | { bridge: NAME }; container:REF is { bridge: 'container:REF' } (docker's NetworkMode string). */
export type RunNetworkMode = 'none' | 'host' | { bridge: string };

export interface RunNetworkRequest {
  network: RunNetworkMode;
  net: ContainerNetOptions;
  /** --expose values, "80/tcp". */
  expose: string[];
}

export function networkRequest(p: ParsedArgs): RunNetworkRequest {
  const modes = [...flag.list(p, 'network'), ...flag.list(p, 'net')];
  const aliases = [...flag.list(p, 'network-alias'), ...flag.list(p, 'net-alias')];
  const ip = flag.str(p, 'ip');
  const mac = flag.str(p, 'mac-address');
  if (ip !== undefined && parseIp(ip) === undefined) throw new TugError('INVALID_ARGUMENT', `invalid IPv4 address: ${ip}`, { hint: 'e.g. --ip 10.231.0.10' });
  const ports = flag.list(p, 'publish').flatMap(parsePublish);
  const links = flag.list(p, 'link').map(parseLink);
  const addHosts = flag.list(p, 'add-host');
  for (const h of addHosts) parseAddHost(h, () => '0.0.0.0'); // syntax only; host-gateway is resolved at start
  for (const d of flag.list(p, 'dns')) {
    if (parseIp(d) === undefined) throw new TugError('INVALID_ARGUMENT', `invalid argument "${d}" for "--dns" flag: ${d} is not an ip address`);
  }
  const expose = flag.list(p, 'expose').flatMap((e) => {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(e);
    if (!m) throw new TugError('INVALID_ARGUMENT', `invalid argument "${e}" for "--expose" flag: invalid port`, { hint: 'e.g. --expose 8080 or --expose 7000-7002/udp' });
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    return Array.from({ length: b - a + 1 }, (_, i) => `${a + i}/${m[3] ?? 'tcp'}`);
  });
  const net: ContainerNetOptions = {
    networks: [], ports, publishAll: flag.bool(p, 'publish-all'), dns: flag.list(p, 'dns'), dnsSearch: flag.list(p, 'dns-search'),
    dnsOptions: [...flag.list(p, 'dns-option'), ...flag.list(p, 'dns-opt')], addHosts, links,
  };
  const special = modes.find((m) => m === 'none' || m === 'host' || m.startsWith('container:'));
  if (special !== undefined) {
    if (modes.length > 1) throw new TugError('INVALID_ARGUMENT', `conflicting options: --network ${special} cannot be combined with other networks`);
    if (aliases.length || ip || mac) throw new TugError('INVALID_ARGUMENT', `conflicting options: --network-alias, --ip and --mac-address need a bridge network, not ${special}`);
    if (links.length) throw new TugError('INVALID_ARGUMENT', `conflicting options: --link cannot be used with --network ${special.split(':')[0]}`);
    if (special.startsWith('container:')) {
      if (ports.length || net.publishAll) throw new TugError('INVALID_ARGUMENT', 'conflicting options: port publishing and the container type network mode');
      const ref = special.slice('container:'.length);
      if (!ref) throw new TugError('INVALID_ARGUMENT', '--network container: needs a container name or id');
      return { network: { bridge: `container:${ref}` }, net, expose };
    }
    return { network: special as 'none' | 'host', net: { ...net, ports: [], publishAll: false }, expose };
  }
  const names = modes.length ? modes.map((m) => (m === 'default' ? 'bridge' : m)) : ['bridge'];
  net.networks = names.map((name, i): NetworkJoin => ({
    name,
    // like docker, --ip/--network-alias/--mac-address apply to the first network given
    ...(i === 0 && aliases.length ? { aliases } : {}),
    ...(i === 0 && ip ? { ip } : {}),
    ...(i === 0 && mac ? { mac } : {}),
  }));
  return { network: { bridge: names[0] }, net, expose };
}
