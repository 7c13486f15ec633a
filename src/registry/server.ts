// `tug registry serve`: opens the shared content store and metadata database,
// builds the service and auth from the options, and serves over node:http
// (or https), with upload-session cleanup and GC on timers.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ContentStore } from '../content/index.js';
import { openDb, type Db } from '../meta/db.js';
import type { RootProvider } from '../meta/gc.js';
import { TugError } from '../util/errors.js';
import { AccessPolicy } from './auth/access.js';
import { Authorizer, type AuthMode } from './auth/authorizer.js';
import { Htpasswd } from './auth/htpasswd.js';
import { TokenIssuer, loadOrCreateKey } from './auth/token.js';
import { createHandler } from './http/handler.js';
import type { Logger } from './log.js';
import { registryMigrations } from './schema.js';
import { RegistryService } from './service.js';

export interface ServeOptions {
  root: string;
  /** host:port; port 0 picks a free one. */
  addr: string;
  htpasswd?: string;
  /** "basic" or "token" (default token when an htpasswd file is given). */
  authMode?: Exclude<AuthMode, 'none'>;
  accessFile?: string;
  anonymousPull?: boolean;
  tokenRealm?: string;
  tokenService?: string;
  tlsCert?: string;
  tlsKey?: string;
  readOnly?: boolean;
  gcIntervalMs?: number;
  gcGraceMs?: number;
  /** The other modules' GC roots (images, build cache), composed by the front end. */
  gcOtherRoots?: (db: Db) => RootProvider[];
  uploadTtlMs?: number;
  log: Logger;
}

export interface RunningRegistry {
  server: Server;
  service: RegistryService;
  /** The address actually bound, e.g. 127.0.0.1:5000. */
  address: string;
  close(): Promise<void>;
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new TugError('INVALID_ARGUMENT', `invalid --addr "${addr}"`, { hint: 'use host:port, e.g. 127.0.0.1:5000 or :5000' });
  const port = Number(m[3]);
  if (port > 65535) throw new TugError('INVALID_ARGUMENT', `invalid port in --addr "${addr}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export async function serveRegistry(opts: ServeOptions): Promise<RunningRegistry> {
  const { host, port } = parseAddr(opts.addr);
  const store = ContentStore.open(opts.root);
  const db = openDb(opts.root, [registryMigrations]);
  const service = new RegistryService(store, db, { uploadTtlMs: opts.uploadTtlMs });
  const log = opts.log;

  const mode: AuthMode = opts.htpasswd ? opts.authMode ?? 'token' : 'none';
  if (!opts.htpasswd && (opts.accessFile || opts.authMode)) {
    throw new TugError('INVALID_ARGUMENT', '--access and --auth need --htpasswd', { hint: 'give the users in an htpasswd file (bcrypt)' });
  }
  const policyOpts = { anonymousPull: opts.anonymousPull, open: mode === 'none', readOnly: opts.readOnly };
  const policy = opts.accessFile ? AccessPolicy.fromFile(opts.accessFile, policyOpts) : new AccessPolicy(policyOpts);
  const htpasswd = opts.htpasswd ? new Htpasswd(opts.htpasswd) : undefined;
  const issuer = mode === 'token' ? new TokenIssuer(loadOrCreateKey(join(opts.root, 'registry', 'token.key')), 'tug-registry', opts.tokenService ?? 'tug-registry') : undefined;
  const auth = new Authorizer({ mode, policy, htpasswd, issuer, realm: opts.tokenRealm });

  const tls = opts.tlsCert || opts.tlsKey;
  if (tls && !(opts.tlsCert && opts.tlsKey)) throw new TugError('INVALID_ARGUMENT', '--tls-cert and --tls-key go together');
  const handler = createHandler({ service, auth, log, readOnly: opts.readOnly, scheme: tls ? 'https' : 'http' });
  let server: Server;
  if (tls) {
    let cert: Buffer;
    let key: Buffer;
    try {
      cert = readFileSync(opts.tlsCert as string);
      key = readFileSync(opts.tlsKey as string);
    } catch (e) {
      throw new TugError('INVALID_ARGUMENT', `cannot read TLS files: ${(e as Error).message}`);
    }
    server = createHttpsServer({ cert, key }, handler) as unknown as Server;
  } else server = createHttpServer(handler);
  // uploads of large layers can take minutes: no whole-request deadline, but
  // idle sockets (a client that stopped sending) are dropped
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  server.setTimeout(120_000, (socket) => socket.destroy());

  const cleaned = await service.uploads.cleanStale();
  if (cleaned.sessions || cleaned.ingests) log.info(`dropped ${cleaned.sessions} stale upload sessions and ${cleaned.ingests} orphaned ingests`);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new TugError('CONFLICT', `address ${opts.addr} is already in use`, { hint: 'pick another --addr' }) : e),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;

  const timers: NodeJS.Timeout[] = [];
  const cleanEvery = Math.min(service.uploads.ttlMs / 4, 10 * 60_000);
  timers.push(setInterval(() => void service.uploads.cleanStale().catch((e: unknown) => log.warn(`upload cleanup: ${(e as Error).message}`)), Math.max(cleanEvery, 1000)));
  let gcRunning = false;
  if (opts.gcIntervalMs) {
    timers.push(
      setInterval(() => {
        if (gcRunning) return;
        gcRunning = true;
        import('./gc.js')
          .then(({ runRegistryGc }) => runRegistryGc({ root: opts.root, store, db, graceMs: opts.gcGraceMs, otherRoots: opts.gcOtherRoots?.(db) }))
          .then((r) => log.info(`gc: ${r.unlinked} links dropped, ${r.deleted.length} blobs (${r.bytes} bytes) removed`))
          .catch((e: unknown) => log.warn(`gc: ${(e as Error).message}`))
          .finally(() => (gcRunning = false));
      }, opts.gcIntervalMs),
    );
  }
  for (const t of timers) t.unref();

  return {
    server,
    service,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
