// tug login / logout: verify credentials against the registry's /v2/ (through
// the same challenge flow pulls use), then store them as docker does.
import { TugError } from '../util/errors.js';
import { RegistryClient } from './client.js';
import { eraseCredentials, storeCredentials, type Credentials } from './credentials.js';
import { authKeyFor, normalizeServer, type RegistryOptions } from './registries.js';

export interface LoginResult {
  server: string;
  store: 'file' | 'helper';
  path: string;
}

export async function login(server: string | undefined, creds: Credentials, opts: RegistryOptions = {}): Promise<LoginResult> {
  const host = normalizeServer(server);
  if (!creds.username) throw new TugError('INVALID_ARGUMENT', 'Username is required', { hint: 'pass -u USERNAME' });
  if (!creds.password) throw new TugError('INVALID_ARGUMENT', 'Password is required', { hint: 'pass --password-stdin and the password on standard input' });
  const client = new RegistryClient(host, { ...opts, credentials: creds, retries: 1 });
  try {
    await client.ping();
  } catch (e) {
    if (e instanceof TugError && e.code === 'UNAUTHORIZED') {
      throw new TugError('UNAUTHORIZED', `login attempt to ${client.url('/v2/').href} failed with status: 401 Unauthorized`, {
        hint: 'check the username and password',
      });
    }
    throw e;
  }
  const stored = await storeCredentials(host, creds, opts.env);
  return { server: host, ...stored };
}

/** Removes credentials; returns the key docker shows and whether anything was stored. */
export async function logout(server: string | undefined, env?: NodeJS.ProcessEnv): Promise<{ key: string; removed: boolean }> {
  const host = normalizeServer(server);
  const removed = await eraseCredentials(host, env);
  return { key: host === 'docker.io' ? authKeyFor(host) : host, removed };
}
