// RUN --mount: turns typed mounts into OCI mounts for one step, and undoes
// everything afterwards. Secrets are written to tmpfs under the run root and
// bind-mounted read-only (never into the rootfs, so never into a layer);
// cache mounts are host directories under the state root that outlive the step.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TugError } from '../../util/errors.js';
import type { Mount } from '../../dockerfile/mounts.js';
import type { OciMount } from '../../runtime/ocispec.js';

export interface SecretSource {
  src?: string; // a file
  env?: string; // an environment variable of the tug process
}

export interface SshSource {
  /** An agent socket, or key files served by an ssh-agent tug starts. */
  paths: string[];
}

export interface MountContext {
  root: string;
  runRoot: string;
  secrets: Map<string, SecretSource>;
  ssh: Map<string, SshSource>;
  /** A directory to bind from: the build context, a named build context, or a mounted stage/image view. */
  sourceDir(from: string | undefined): Promise<string>;
}

export interface PreparedMounts {
  mounts: OciMount[];
  /** Environment entries (secret env=, SSH_AUTH_SOCK): never logged, never stored. */
  env: string[];
  /** Variable names whose values must not appear in logs. */
  secretValues: string[];
  release(): Promise<void>;
}

function within(base: string, rel: string): string {
  const p = resolve(base, `./${rel ?? ''}`);
  if (p !== base && !p.startsWith(`${base}/`)) {
    throw new TugError('INVALID_ARGUMENT', `mount source "${rel}" is outside its root`, { hint: 'source paths are relative to the context or stage' });
  }
  return p;
}

function readSecret(id: string, s: SecretSource): Buffer {
  if (s.env !== undefined) {
    const v = process.env[s.env];
    if (v === undefined) throw new TugError('NOT_FOUND', `secret ${id}: environment variable ${s.env} is not set`, { hint: 'export it, or pass --secret id=…,src=FILE' });
    return Buffer.from(v);
  }
  try {
    return readFileSync(s.src as string);
  } catch {
    throw new TugError('NOT_FOUND', `secret ${id}: cannot read ${s.src}`, { hint: 'check the path given with --secret id=…,src=…' });
  }
}

/** An exclusive lock for sharing=locked cache mounts (a directory, taken with mkdir). */
async function lockDir(path: string): Promise<() => void> {
  for (let i = 0; ; i++) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'pid'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (e) {
      // a lock left by a dead process is taken over
      try {
        const pid = Number(readFileSync(join(path, 'pid'), 'utf8'));
        if (pid && !alive(pid)) rmSync(path, { recursive: true, force: true });
      } catch {
        /* being written */
      }
      await sleep(Math.min(200, 10 * (i + 1)));
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function cacheMountDir(root: string, id: string): string {
  return join(root, 'build', 'cache-mounts', createHash('sha256').update(id).digest('hex').slice(0, 32));
}

async function startAgent(dir: string, keys: string[]): Promise<{ socket: string; stop(): void }> {
  const socket = join(dir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  const stop = (): void => void agent.kill('SIGTERM');
  agent.on('error', () => {});
  for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(10);
  if (!existsSync(socket)) {
    stop();
    throw new TugError('NOT_FOUND', 'cannot start ssh-agent for --ssh', { hint: 'install openssh-client, or pass an agent socket: --ssh default' });
  }
  for (const key of keys) {
    const code = await new Promise<number>((res) => {
      const add = spawn('ssh-add', [key], { stdio: 'ignore', env: { ...process.env, SSH_AUTH_SOCK: socket } });
      add.on('error', () => res(1));
      add.on('close', (c) => res(c ?? 1));
    });
    if (code !== 0) {
      stop();
      throw new TugError('INVALID_ARGUMENT', `--ssh: cannot load key ${key}`, { hint: 'give an unencrypted private key or an agent socket' });
    }
  }
  return { socket, stop };
}

export async function prepareMounts(mounts: Mount[], ctx: MountContext): Promise<PreparedMounts> {
  const out: OciMount[] = [];
  const env: string[] = [];
  const secretValues: string[] = [];
  const undo: Array<() => void | Promise<void>> = [];
  const stepDir = join(ctx.runRoot, 'build', 'mounts', randomBytes(8).toString('hex'));
  mkdirSync(stepDir, { recursive: true, mode: 0o700 });
  undo.push(() => rmSync(stepDir, { recursive: true, force: true }));
  const release = async (): Promise<void> => {
    for (const u of undo.reverse()) await u();
  };
  try {
    let sshIndex = 0;
    for (const m of mounts) {
      switch (m.type) {
        case 'cache': {
          const dir = cacheMountDir(ctx.root, m.id);
          if (!existsSync(dir)) {
            mkdirSync(dir, { recursive: true });
            if (m.from !== undefined) cpSync(within(await ctx.sourceDir(m.from), m.source ?? ''), dir, { recursive: true, preserveTimestamps: true });
            chmodSync(dir, m.mode);
            chownSync(dir, m.uid, m.gid);
          }
          let source = dir;
          if (m.sharing === 'locked') undo.push(await lockDir(`${dir}.lock`));
          else if (m.sharing === 'private') {
            // a private cache is not shared with a concurrent step: it gets its own copy
            const mine = `${dir}.private-${randomBytes(4).toString('hex')}`;
            cpSync(dir, mine, { recursive: true, preserveTimestamps: true });
            source = mine;
            undo.push(() => rmSync(mine, { recursive: true, force: true }));
          }
          out.push({ destination: m.target, type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw'] });
          break;
        }
        case 'secret': {
          const src = ctx.secrets.get(m.id);
          if (!src) {
            if (m.required) throw new TugError('NOT_FOUND', `secret ${m.id} not found`, { hint: `pass it with --secret id=${m.id},src=FILE (or env=VAR)` });
            break;
          }
          const value = readSecret(m.id, src);
          secretValues.push(value.toString());
          if (m.env) env.push(`${m.env}=${value.toString()}`);
          if (m.target) {
            const file = join(stepDir, `secret-${out.length}`);
            writeFileSync(file, value, { mode: m.mode });
            chownSync(file, m.uid, m.gid);
            out.push({ destination: m.target, type: 'bind', source: file, options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'] });
          }
          break;
        }
        case 'ssh': {
          const src = ctx.ssh.get(m.id);
          if (!src) {
            if (m.required) throw new TugError('NOT_FOUND', `ssh agent ${m.id} not found`, { hint: `pass it with --ssh ${m.id}[=SOCKET|KEY]` });
            break;
          }
          let socket = src.paths[0];
          const isKeyFiles = src.paths.length > 0 && src.paths.every((p) => !p.endsWith('.sock') && /PRIVATE KEY/.test(safeRead(p)));
          if (isKeyFiles) {
            const agent = await startAgent(stepDir, src.paths);
            undo.push(() => agent.stop());
            socket = agent.socket;
          }
          if (!socket || !existsSync(socket)) throw new TugError('NOT_FOUND', `ssh agent socket for ${m.id} not found`, { hint: 'is SSH_AUTH_SOCK set? start ssh-agent, or pass key files: --ssh default=~/.ssh/id_ed25519' });
          const target = m.target || `/run/buildkit/ssh_agent.${sshIndex++}`;
          out.push({ destination: target, type: 'bind', source: socket, options: ['rbind', 'rw'] });
          env.push(`SSH_AUTH_SOCK=${target}`);
          break;
        }
        case 'bind': {
          const base = await ctx.sourceDir(m.from);
          const source = within(base, m.source ?? '');
          if (!existsSync(source)) throw new TugError('NOT_FOUND', `bind mount source "${m.source ?? '/'}" not found`, { hint: m.from ? `check the path in ${m.from}` : 'check the path in the build context' });
          if (m.readOnly) out.push({ destination: m.target, type: 'bind', source, options: ['rbind', 'ro'] });
          else {
            // rw binds see writes during the step only: they go to a throwaway copy
            const copy = join(stepDir, `bind-${out.length}`);
            cpSync(source, copy, { recursive: true, preserveTimestamps: true });
            out.push({ destination: m.target, type: 'bind', source: copy, options: ['rbind', 'rw'] });
          }
          break;
        }
        case 'tmpfs':
          out.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.size ? [`size=${m.size}`] : [])] });
          break;
      }
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { mounts: out, env, secretValues, release };
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8').slice(0, 200);
  } catch {
    return '';
  }
}
