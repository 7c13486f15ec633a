import { resolve } from 'node:path';
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'registry serve',
    usage: 'tug registry serve [OPTIONS]',
    description:
      'Serve the OCI distribution API (v1.1) from the state root\'s content store.\n' +
      'Without --htpasswd anyone may push and pull. With it, clients log in through the\n' +
      'Bearer token flow (--auth token, the default) or plain Basic auth (--auth basic);\n' +
      '--access FILE gives per-repository rights, one rule a line: "<user|*|anonymous> <repo glob> <pull,push,delete|*>".',
    flags: [
      { name: 'addr', type: 'string', default: '127.0.0.1:5000', description: 'address to listen on (host:port)' },
      { name: 'root', type: 'string', description: 'state root (default: the global --root)' },
      { name: 'htpasswd', type: 'string', description: 'htpasswd file with bcrypt entries; switches authentication on' },
      { name: 'auth', type: 'string', description: 'token (default with --htpasswd) or basic' },
      { name: 'access', type: 'string', description: 'access file: per-repository permissions' },
      { name: 'anonymous-pull', type: 'bool', description: 'let clients without credentials pull' },
      { name: 'token-realm', type: 'string', description: 'token endpoint URL to advertise (default: <scheme>://<Host>/token)' },
      { name: 'token-service', type: 'string', description: 'service name in tokens (default "tug-registry")' },
      { name: 'tls-cert', type: 'string', description: 'TLS certificate (PEM)' },
      { name: 'tls-key', type: 'string', description: 'TLS private key (PEM)' },
      { name: 'read-only', type: 'bool', description: 'refuse pushes and deletes' },
      { name: 'log-level', type: 'string', description: 'debug|info|warn|error (default: info)' },
      { name: 'gc-interval', type: 'string', description: 'run garbage collection this often, e.g. 1h (default: off)' },
      { name: 'gc-grace', type: 'string', default: '1h', description: 'keep unreferenced blobs younger than this' },
      { name: 'upload-ttl', type: 'string', default: '24h', description: 'drop upload sessions idle for this long' },
    ],
    maxArgs: 0,
  },
  async run(ctx, args) {
    const { serveRegistry } = await import('../../registry/server.js');
    const { makeLogger, isLogLevel } = await import('../../registry/log.js');
    const { parseDuration } = await import('../../registry/duration.js');
    const { otherModuleRoots } = await import('./registry-roots.js');
    const level = flag.str(args, 'log-level') ?? (ctx.logLevel === 'warn' && !ctx.env.TUG_LOG_LEVEL ? 'info' : ctx.logLevel);
    if (!isLogLevel(level)) throw new TugError('INVALID_ARGUMENT', `invalid --log-level "${level}"`, { hint: 'use debug, info, warn or error' });
    const auth = flag.str(args, 'auth');
    if (auth !== undefined && auth !== 'token' && auth !== 'basic') throw new TugError('INVALID_ARGUMENT', `invalid --auth "${auth}"`, { hint: 'use token or basic' });
    const gcInterval = flag.str(args, 'gc-interval');
    const log = makeLogger(level, ctx.stderr);
    const root = flag.str(args, 'root') ? resolve(flag.str(args, 'root') as string) : ctx.root;
    const running = await serveRegistry({
      root,
      addr: flag.str(args, 'addr') as string,
      htpasswd: flag.str(args, 'htpasswd'),
      authMode: auth,
      accessFile: flag.str(args, 'access'),
      anonymousPull: flag.bool(args, 'anonymous-pull'),
      tokenRealm: flag.str(args, 'token-realm'),
      tokenService: flag.str(args, 'token-service'),
      tlsCert: flag.str(args, 'tls-cert'),
      tlsKey: flag.str(args, 'tls-key'),
      readOnly: flag.bool(args, 'read-only'),
      gcIntervalMs: gcInterval ? parseDuration(gcInterval, 'gc-interval') : undefined,
      gcOtherRoots: otherModuleRoots,
      gcGraceMs: parseDuration(flag.str(args, 'gc-grace') as string, 'gc-grace'),
      uploadTtlMs: parseDuration(flag.str(args, 'upload-ttl') as string, 'upload-ttl'),
      log,
    });
    const scheme = flag.str(args, 'tls-cert') ? 'https' : 'http';
    ctx.stdout.write(`tug registry listening on ${scheme}://${running.address} (root ${root})\n`);
    await new Promise<void>((done) => {
      const stop = (sig: string): void => {
        log.info(`${sig}: shutting down`);
        void running.close().then(done);
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
export default command;
