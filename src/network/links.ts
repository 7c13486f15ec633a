// Legacy `--link name[:alias]` (docs.docker.com/network/links/): an /etc/hosts
// line "IP alias hostname name" and the variables docker sets in the new
// container: ALIAS_NAME=/<container>/<alias>, per exposed port
// ALIAS_PORT_<port>_<PROTO>{,_ADDR,_PORT,_PROTO}, ALIAS_PORT (the lowest
// exposed port, tcp before udp), and ALIAS_ENV_<VAR> for the linked
// container's own environment (HOME and PATH excepted, as docker does).
import { TugError } from '../util/errors.js';
import type { HostEntry } from './etcfiles.js';

/** "db" → {name: "db", alias: "db"}; "db:webdb" → alias webdb. */
export function parseLink(spec: string): { name: string; alias: string } {
  const [name, alias, extra] = spec.split(':');
  if (!name || extra !== undefined || alias === '') {
    throw new TugError('INVALID_ARGUMENT', `invalid argument "${spec}" for "--link" flag: use --link NAME[:ALIAS]`);
  }
  return { name: name.replace(/^\//, ''), alias: (alias ?? name).replace(/^\//, '') };
}

interface LinkedPort {
  port: number;
  proto: string;
}

function sortedPorts(exposed: string[]): LinkedPort[] {
  const out: LinkedPort[] = [];
  for (const e of exposed) {
    const [p, proto = 'tcp'] = e.split('/');
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let n = a; n <= b; n++) out.push({ port: n, proto: proto.toLowerCase() });
  }
  // lowest port first; for the same number tcp before udp (docker's ALIAS_PORT rule)
  return out.sort((x, y) => x.port - y.port || (x.proto === 'tcp' ? -1 : y.proto === 'tcp' ? 1 : x.proto.localeCompare(y.proto)));
}

export function linkEnv(opts: { containerName: string; alias: string; ip: string; exposedPorts: string[]; env: string[] }): string[] {
  const prefix = opts.alias.toUpperCase().replace(/-/g, '_');
  const env = [`${prefix}_NAME=/${opts.containerName}/${opts.alias}`];
  const ports = sortedPorts(opts.exposedPorts);
  if (ports.length) env.push(`${prefix}_PORT=${ports[0].proto}://${opts.ip}:${ports[0].port}`);
  for (const p of ports) {
    const key = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${key}=${p.proto}://${opts.ip}:${p.port}`, `${key}_ADDR=${opts.ip}`, `${key}_PORT=${p.port}`, `${key}_PROTO=${p.proto}`);
  }
  for (const kv of opts.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const k = kv.slice(0, eq);
    if (k === 'HOME' || k === 'PATH') continue;
    env.push(`${prefix}_ENV_${k}=${kv.slice(eq + 1)}`);
  }
  return env;
}

/** "172.17.0.5  webdb 6e5cdeb2d300 db": the alias, the linked container's hostname and (if different) its name. */
export function linkHostEntry(ip: string, alias: string, hostname: string, name: string): HostEntry {
  return { ip, names: [...new Set([alias, hostname, name])] };
}
