// The container's /etc/hosts and /etc/resolv.conf, as docker writes them.
// netavark never touches files in the container; the runtime bind-mounts what
// these functions return.
import { readFileSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import { parseIp } from './ipv4.js';

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

export interface HostEntry {
  ip: string;
  names: string[];
}

/** `--add-host` "name:ip" / "name=ip" / "name:host-gateway" → entry. */
export function parseAddHost(spec: string, hostGateway: () => string): HostEntry {
  const m = /^([^:=]+)[:=](.+)$/.exec(spec);
  if (!m) throw new TugError('INVALID_ARGUMENT', `invalid argument "${spec}" for "--add-host" flag: bad format for add-host`, { hint: 'use --add-host NAME:IP or NAME:host-gateway' });
  const name = m[1].trim();
  let ip = m[2].trim().replace(/^\[(.*)\]$/, '$1');
  if (ip === 'host-gateway') ip = hostGateway();
  else if (parseIp(ip) === undefined && !/^[0-9a-fA-F:]+$/.test(ip)) {
    throw new TugError('INVALID_ARGUMENT', `invalid argument "${spec}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
  }
  return { ip, names: [name] };
}

/** docker's layout: the defaults, then --add-host and link entries, then the container's own address. */
export function buildHosts(own: HostEntry | undefined, extra: HostEntry[]): string {
  const lines = [...DEFAULT_HOSTS, ...extra.map((e) => `${e.ip}\t${e.names.join(' ')}`)];
  if (own) lines.push(`${own.ip}\t${own.names.join(' ')}`);
  return lines.join('\n') + '\n';
}

export function hostFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

interface Resolv {
  nameservers: string[];
  search: string[];
  options: string[];
}

function parseResolv(text: string): Resolv {
  const r: Resolv = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...vals] = line.split(/\s+/);
    if (key === 'nameserver' && vals[0]) r.nameservers.push(vals[0]);
    else if (key === 'search' || key === 'domain') r.search = vals;
    else if (key === 'options') r.options.push(...vals);
  }
  return r;
}

function renderResolv(r: Resolv): string {
  const lines: string[] = [];
  if (r.search.length) lines.push(`search ${r.search.join(' ')}`);
  for (const ns of r.nameservers) lines.push(`nameserver ${ns}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

export interface ResolvRequest {
  /** Nameservers the network provides (aardvark on the gateway); empty = use the host's. */
  networkDns: string[];
  networkSearch: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** host network: keep loopback resolvers (they are reachable). */
  hostNetwork: boolean;
}

/**
 * resolv.conf the docker way: with a DNS-enabled network the container asks
 * the network's resolver (which forwards --dns servers upstream); otherwise the
 * host's servers minus loopback ones (unreachable from a netns), falling back
 * to Google's like docker does, or --dns when given.
 */
export function buildResolv(req: ResolvRequest, hostResolv = hostFile('/etc/resolv.conf')): string {
  const host = parseResolv(hostResolv);
  let nameservers: string[];
  if (req.networkDns.length) nameservers = req.networkDns;
  else if (req.dns?.length) nameservers = req.dns;
  else {
    nameservers = req.hostNetwork ? host.nameservers : host.nameservers.filter((n) => !n.startsWith('127.') && n !== '::1');
    if (!nameservers.length) nameservers = ['8.8.8.8', '8.8.4.4'];
  }
  const search = req.dnsSearch?.length ? req.dnsSearch.filter((s) => s !== '.') : [...req.networkSearch, ...host.search];
  const options = req.dnsOptions?.length ? req.dnsOptions : host.options;
  return renderResolv({ nameservers, search: [...new Set(search)], options });
}
