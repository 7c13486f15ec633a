// Driving conmon (2.1.x): it double-forks, runs `<runtime> create`, and tells
// us the container pid (or the runtime's error) as one JSON line on the sync
// pipe. See notes/conmon-netavark.md §1 for the protocol as measured.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { TugError } from '../util/errors.js';

export const CONMON_BIN = '/usr/bin/conmon';

export interface ConmonCreateOptions {
  id: string;
  uuid: string;
  name: string;
  runtimeBin: string;
  runtimeRoot: string;
  bundle: string;
  /** persist dir: exit, oom, pidfile, conmon.pid land here */
  persistDir: string;
  exitDir?: string;
  logPath: string;
  logSizeMax?: number;
  socketDir: string;
  tty: boolean;
  stdin: boolean;
  exitCommand?: string[];
  tmpDir: string;
}

export interface ConmonExecOptions extends Omit<ConmonCreateOptions, 'exitCommand' | 'bundle'> {
  execDir: string;
  processSpecPath: string;
  attach: boolean;
}

function commonArgs(o: ConmonCreateOptions | ConmonExecOptions, bundle: string): string[] {
  const a = [
    '--api-version', '1', '-c', o.id, '-u', o.uuid, '-n', o.name,
    '-r', o.runtimeBin, '--runtime-arg', '--root', '--runtime-arg', o.runtimeRoot,
    '-b', bundle, '-p', `${o.persistDir}/pidfile`, '-P', `${o.persistDir}/conmon.pid`,
    '--persist-dir', o.persistDir, '-l', `k8s-file:${o.logPath}`, '--socket-dir-path', o.socketDir,
  ];
  if (o.exitDir) a.push('--exit-dir', o.exitDir);
  if (o.logSizeMax) a.push('--log-size-max', String(o.logSizeMax));
  if (o.tty) a.push('-t');
  if (o.stdin) a.push('-i');
  return a;
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Reads newline-separated JSON messages from a conmon pipe. */
class LineReader {
  private buf = '';
  private waiters: Array<(m: SyncMessage | undefined) => void> = [];
  private queue: Array<SyncMessage | undefined> = [];

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => {
      this.buf += d;
      let nl;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.push(JSON.parse(line) as SyncMessage);
      }
    });
    const end = (): void => this.push(undefined);
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private push(m: SyncMessage | undefined): void {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.queue.push(m);
  }

  next(): Promise<SyncMessage | undefined> {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((r) => this.waiters.push(r));
  }
}

function collect(stream: Readable | null): () => string {
  const chunks: Buffer[] = [];
  stream?.on('data', (b: Buffer) => chunks.push(b));
  return () => Buffer.concat(chunks).toString().trim();
}

/** Error from the runtime's create, with docker's 126/127 mapping (see docker's cli/command/container/run.go). */
export function runtimeCreateError(message: string, runtime: string): TugError {
  const msg = message.trim().replace(/\s+$/, '');
  const lower = msg.toLowerCase();
  if (lower.includes('executable file not found') || lower.includes('no such file or directory')) {
    return new TugError('COMMAND_NOT_FOUND', `${runtime}: ${msg}`, { hint: 'check the command and the image: the file must exist in the container', exitCode: 127 });
  }
  if (lower.includes('permission denied') || lower.includes('is a directory')) {
    return new TugError('CANNOT_INVOKE', `${runtime}: ${msg}`, { hint: 'the command exists but cannot be executed (permissions, or a directory)', exitCode: 126 });
  }
  return new TugError('RUNTIME', `${runtime}: ${msg}`, { hint: 'the OCI runtime refused the container; run with --log-level debug for the spec' });
}

/** Spawns conmon for a container; resolves with the container pid once `runtime create` succeeded. */
export async function conmonCreate(o: ConmonCreateOptions, runtimeName: string): Promise<{ pid: number }> {
  const args = commonArgs(o, o.bundle);
  if (o.exitCommand?.length) {
    args.push('--exit-command', o.exitCommand[0]);
    for (const a of o.exitCommand.slice(1)) args.push('--exit-command-arg', a);
  }
  const child = spawn(CONMON_BIN, args, {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3', TMPDIR: o.tmpDir },
    detached: true,
  });
  const stderr = collect(child.stderr);
  const reader = new LineReader(child.stdio[3] as Readable);
  const spawnErr = new Promise<never>((_, rej) => child.on('error', (e) => rej(new TugError('RUNTIME', `cannot run conmon: ${e.message}`, { hint: 'install conmon (apt-get install conmon)' }))));
  const msg = await Promise.race([reader.next(), spawnErr]);
  (child.stdio[3] as Readable).destroy();
  child.unref();
  if (!msg) {
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    throw new TugError('RUNTIME', `conmon failed: ${stderr() || 'no message'}`);
  }
  if (msg.data <= 0) throw runtimeCreateError(msg.message ?? 'unknown error', runtimeName);
  return { pid: msg.data };
}

export interface ExecSession {
  child: ChildProcess;
  /** Resolves with the exec'd process pid, or rejects with the runtime's error. */
  started: Promise<number>;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  /** For attached sessions: call after connecting to the attach socket, lets the runtime run. */
  release(): void;
  /** For attached sessions: resolves when the attach socket exists. */
  attachReady: Promise<void>;
}

/** Starts `runtime exec` under conmon (§1.8): two start-pipe writes for attached sessions. */
export function conmonExec(o: ConmonExecOptions, runtimeName: string): ExecSession {
  const args = [...commonArgs(o, o.execDir), '--exec', '--exec-process-spec', o.processSpecPath];
  if (o.attach) args.push('--exec-attach');
  const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'ignore', 'pipe', 'pipe'];
  const env: NodeJS.ProcessEnv = { ...process.env, _OCI_SYNCPIPE: '3', TMPDIR: o.tmpDir };
  if (o.attach) {
    stdio.push('pipe', 'pipe');
    env._OCI_ATTACHPIPE = '4';
    env._OCI_STARTPIPE = '5';
  }
  const child = spawn(CONMON_BIN, args, { stdio, env, detached: true });
  const stderr = collect(child.stderr);
  const sync = new LineReader(child.stdio[3] as Readable);
  const startPipe = o.attach ? (child.stdio as unknown as Writable[])[5] : undefined;
  startPipe?.on('error', () => {});
  startPipe?.write('0');
  let attachReady = Promise.resolve();
  if (o.attach) {
    const ap = new LineReader(child.stdio[4] as Readable);
    attachReady = ap.next().then((m) => {
      if (!m || m.data < 0) throw runtimeCreateError(m?.message ?? (stderr() || 'conmon exited'), runtimeName);
    });
  }
  const started = sync.next().then((m) => {
    if (!m) throw new TugError('RUNTIME', `conmon exec failed: ${stderr() || 'no message'}`);
    if (m.data <= 0) throw runtimeCreateError(m.message ?? 'unknown error', runtimeName);
    return m.data;
  });
  const exited = started.then(() => sync.next()).then((m) => {
    if (!m) throw new TugError('RUNTIME', 'conmon exited without an exit code');
    if (m.data < 0) throw new TugError('RUNTIME', m.message ?? 'exec failed');
    return m.data;
  });
  started.catch(() => {});
  exited.catch(() => {});
  child.unref();
  return {
    child,
    started,
    exited,
    attachReady,
    release: () => {
      if (startPipe) {
        startPipe.write('0');
        startPipe.end();
      }
    },
  };
}
