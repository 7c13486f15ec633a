// Debian's docker-registry (the CNCF distribution registry) as a child
// process on a free loopback port, with its own config and storage in a temp
// dir; stop() kills it by pid and removes everything.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';
export const haveDockerRegistry = (): boolean => existsSync(DOCKER_REGISTRY);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningRegistry {
  host: string; // 127.0.0.1:PORT
  port: number;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

async function waitUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`docker-registry did not come up: ${log()}`);
}

export interface RegistryFixtureOptions {
  users?: Record<string, string>;
  /** Extra YAML for the auth section (token auth). */
  authYaml?: string;
}

export async function startDockerRegistry(opts: RegistryFixtureOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync('/var/tmp/tug-distreg-');
  const port = await freePort();
  let auth = opts.authYaml ?? '';
  if (opts.users) {
    const lines = Object.entries(opts.users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 5)}`);
    writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    auth = `auth:\n  htpasswd:\n    realm: tug-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: tug-test-secret
${auth}`,
  );
  const out: Buffer[] = [];
  const child = spawn(DOCKER_REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => out.push(b));
  const log = (): string => Buffer.concat(out).toString();
  try {
    await waitUp(`http://127.0.0.1:${port}/v2/`, child, log);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    dir,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
