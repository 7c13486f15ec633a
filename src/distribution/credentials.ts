// Registry credentials in docker's own file, so `docker login` and `tug login`
// share them: $DOCKER_CONFIG/config.json (default ~/.docker/config.json) with
//   "auths":       { "<server>": { "auth": base64("user:password"), "identitytoken"?: "…" } }
//   "credsStore":  "<name>"              -> docker-credential-<name> for every server
//   "credHelpers": { "<server>": "<name>" } -> a helper for one server
// Helpers speak docker's protocol: `get` (stdin: server URL, stdout:
// {"ServerURL","Username","Secret"}), `store` (stdin: that JSON), `erase`
// (stdin: server URL). A Username of "<token>" means Secret is an identity token.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TugError, errnoCode } from '../util/errors.js';
import { authKeyFor, normalizeServer } from './registries.js';

export interface Credentials {
  username: string;
  password: string;
  /** OAuth2 refresh token (docker's "identitytoken"); used instead of the password for token requests. */
  identityToken?: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [k: string]: unknown;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

function readConfig(path: string): DockerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return {};
    throw new TugError('PERMISSION_DENIED', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as DockerConfig;
  } catch {
    throw new TugError('INVALID_ARGUMENT', `${path} is not valid JSON`, { hint: 'fix or remove the file, then log in again' });
  }
}

function writeConfig(path: string, cfg: DockerConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The server part of a config key ("https://index.docker.io/v1/" -> docker.io). */
function keyHost(key: string): string {
  return normalizeServer(key);
}

function helperFor(cfg: DockerConfig, host: string): string | undefined {
  const helpers = cfg.credHelpers ?? {};
  for (const [k, name] of Object.entries(helpers)) if (keyHost(k) === host) return name;
  return cfg.credsStore || undefined;
}

function runHelper(name: string, action: 'get' | 'store' | 'erase', input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${name}`, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) =>
      reject(new TugError('UNAUTHORIZED', `credential helper docker-credential-${name} cannot be run: ${errnoCode(e) === 'ENOENT' ? 'not found in PATH' : e.message}`, {
        hint: `install docker-credential-${name} or remove it from ${dockerConfigPath()}`,
      })),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

function helperServerUrl(host: string): string {
  return authKeyFor(host);
}

/** Credentials for a registry host, or undefined for anonymous access. */
export async function getCredentials(host: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  const path = dockerConfigPath(env);
  const cfg = readConfig(path);
  const helper = helperFor(cfg, host);
  if (helper) {
    const r = await runHelper(helper, 'get', helperServerUrl(host));
    if (r.code !== 0) {
      if (/credentials not found/i.test(r.stdout + r.stderr)) return undefined;
      throw new TugError('UNAUTHORIZED', `credential helper docker-credential-${helper} failed: ${(r.stdout || r.stderr).trim()}`, {
        hint: `run 'tug login ${host}' again`,
      });
    }
    let parsed: { Username?: string; Secret?: string };
    try {
      parsed = JSON.parse(r.stdout) as { Username?: string; Secret?: string };
    } catch {
      throw new TugError('UNAUTHORIZED', `credential helper docker-credential-${helper} printed invalid JSON`);
    }
    if (!parsed.Secret) return undefined;
    if (parsed.Username === '<token>') return { username: '', password: '', identityToken: parsed.Secret };
    return { username: parsed.Username ?? '', password: parsed.Secret };
  }
  for (const [k, entry] of Object.entries(cfg.auths ?? {})) {
    if (keyHost(k) !== host) continue;
    if (entry.identitytoken) return { username: '', password: '', identityToken: entry.identitytoken };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new TugError('UNAUTHORIZED', `invalid auth entry for ${k} in ${path}`, { hint: `run 'tug login ${host}' again` });
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Saves credentials as docker does; returns where they went ("file" means plain base64 in config.json). */
export async function storeCredentials(host: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<{ store: 'file' | 'helper'; path: string }> {
  const path = dockerConfigPath(env);
  const cfg = readConfig(path);
  const helper = helperFor(cfg, host);
  const key = authKeyFor(host);
  if (helper) {
    const r = await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }));
    if (r.code !== 0) throw new TugError('UNAUTHORIZED', `credential helper docker-credential-${helper} could not store credentials: ${(r.stdout || r.stderr).trim()}`);
    // docker keeps an empty entry so `docker info`/logout know the server
    cfg.auths = { ...(cfg.auths ?? {}), [key]: {} };
    writeConfig(path, cfg);
    return { store: 'helper', path };
  }
  const auths = { ...(cfg.auths ?? {}) };
  for (const k of Object.keys(auths)) if (keyHost(k) === host && k !== key) delete auths[k];
  auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
  cfg.auths = auths;
  writeConfig(path, cfg);
  return { store: 'file', path };
}

/** Removes stored credentials; false when there were none. */
export async function eraseCredentials(host: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const path = dockerConfigPath(env);
  const cfg = readConfig(path);
  const helper = helperFor(cfg, host);
  let found = false;
  const auths = { ...(cfg.auths ?? {}) };
  for (const k of Object.keys(auths)) {
    if (keyHost(k) === host) {
      delete auths[k];
      found = true;
    }
  }
  if (helper) {
    const r = await runHelper(helper, 'erase', helperServerUrl(host));
    if (r.code === 0) found = true;
  }
  if (found) {
    cfg.auths = auths;
    writeConfig(path, cfg);
  }
  return found;
}
