// Where a registry host is reached and how: the API endpoint (docker.io is
// served by registry-1.docker.io), http or https, and the key its credentials
// are stored under in ~/.docker/config.json.
//
// Plain HTTP is used for loopback registries (localhost, 127.0.0.0/8, ::1)
// that have no certificates in docker's certs.d layout, and for hosts marked
// insecure by any of:
//   - the `--insecure-registry HOST[:PORT]` flag of pull/push/login/manifest inspect
//   - TUG_INSECURE_REGISTRIES=host1:5000,host2 (comma-separated)
//   - <root>/registries.json: {"insecure-registries": ["host:5000"]}  (docker's daemon.json key)
// Every other registry is spoken to over HTTPS with certificate verification,
// trusting the system CAs plus any in docker's certs.d layout (see tlsFilesFor).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';

export const DOCKER_HUB = 'docker.io';
export const DOCKER_HUB_API = 'registry-1.docker.io';
/** The key docker stores Docker Hub credentials under. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface RegistryOptions {
  /** Extra hosts to reach over plain HTTP. */
  insecure?: string[];
  /** State root, for <root>/registries.json. */
  root?: string;
  env?: NodeJS.ProcessEnv;
}

export interface TlsFiles {
  /** Extra CA certificates (PEM), trusted besides the system's. */
  ca: Buffer[];
  /** Client certificate and key (PEM) for registries that ask for one. */
  cert?: Buffer;
  key?: Buffer;
}

export interface RegistryEndpoint {
  /** The host as written in references, e.g. "docker.io" or "127.0.0.1:5000". */
  host: string;
  /** Base URL of the API, e.g. "https://registry-1.docker.io". */
  base: URL;
  insecure: boolean;
  /** From docker's per-registry certificate directory, when it has files. */
  tls?: TlsFiles;
}

/**
 * docker's certificate layout: <dir>/<host[:port]>/*.crt are CAs,
 * client.cert + client.key a client certificate. Directories read:
 * TUG_CERTS_DIR if set, else /etc/docker/certs.d and /etc/containers/certs.d.
 */
export function tlsFilesFor(host: string, env: NodeJS.ProcessEnv = process.env): TlsFiles | undefined {
  const dirs = env.TUG_CERTS_DIR ? [env.TUG_CERTS_DIR] : ['/etc/docker/certs.d', '/etc/containers/certs.d'];
  const out: TlsFiles = { ca: [] };
  let found = false;
  for (const base of dirs) {
    const dir = join(base, host);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const p = join(dir, n);
      if (n.endsWith('.crt')) out.ca.push(readFileSync(p));
      else if (n === 'client.cert') out.cert = readFileSync(p);
      else if (n === 'client.key') out.key = readFileSync(p);
      else continue;
      found = true;
    }
  }
  return found ? out : undefined;
}

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function configuredInsecure(opts: RegistryOptions): string[] {
  const out = [...(opts.insecure ?? [])];
  const env = (opts.env ?? process.env).TUG_INSECURE_REGISTRIES;
  if (env) out.push(...env.split(',').map((s) => s.trim()).filter(Boolean));
  if (opts.root) {
    const file = join(opts.root, 'registries.json');
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new TugError('INVALID_ARGUMENT', `${file} is not valid JSON`, { hint: 'expected {"insecure-registries": ["host:port"]}' });
      }
      const list = (parsed as { 'insecure-registries'?: unknown })['insecure-registries'];
      if (Array.isArray(list)) out.push(...list.filter((x): x is string => typeof x === 'string'));
    }
  }
  return out.map((h) => h.replace(/^https?:\/\//, '').replace(/\/+$/, ''));
}

export function endpointFor(host: string, opts: RegistryOptions = {}): RegistryEndpoint {
  const apiHost = host === DOCKER_HUB || host === 'index.docker.io' ? DOCKER_HUB_API : host;
  // certificates configured for a host mean it speaks TLS, even on loopback
  const tls = tlsFilesFor(host, opts.env);
  const insecure = configuredInsecure(opts).includes(host) || (isLoopback(host) && !tls);
  return { host, base: new URL(`${insecure ? 'http' : 'https'}://${apiHost}`), insecure, tls: insecure ? undefined : tls };
}

/** `tug login SERVER` accepts URLs and bare hosts; returns the reference-style host. */
export function normalizeServer(server: string | undefined): string {
  if (!server) return DOCKER_HUB;
  let s = server.trim().replace(/^https?:\/\//, '');
  s = s.replace(/\/.*$/, '');
  if (s === 'index.docker.io' || s === DOCKER_HUB_API || s === 'registry.hub.docker.com') return DOCKER_HUB;
  return s;
}

/** The key a host's credentials live under in config.json (docker's convention). */
export function authKeyFor(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : host;
}
