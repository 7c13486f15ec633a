// For the builder (RUN steps): run one process in a prepared rootfs and
// return its exit code and output. Same spec defaults and conmon path as
// `tug run`, but no container record: the caller owns the rootfs.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { attach } from './attach.js';
import { removeContainerCgroups } from './cgroups.js';
import { conmonCreate } from './conmon.js';
import { writeEtcFiles } from './etcfiles.js';
import { hostResolvConf } from './network.js';
import type { OciMount } from './ocispec.js';
import { OciRuntime } from './ocirt.js';
import { paths } from './paths.js';
import { generateSpec, DEFAULT_PATH_ENV } from './spec.js';
import { hostLimits } from './start.js';
import type { ContainerConfig, ContainerRecord } from './types.js';
import { resolveUser } from './user.js';

export interface RunProcessMount {
  type: 'bind' | 'tmpfs';
  /** Host path for binds. */
  source?: string;
  destination: string;
  readOnly?: boolean;
  /** Extra mount options, e.g. ["size=64m"] for tmpfs. */
  options?: string[];
}

export interface RunProcessOptions {
  /** State root and run root (crun state, conmon sockets go under runRoot). */
  root: string;
  runRoot: string;
  /** A prepared (mounted) root filesystem; the caller mounts and unmounts it. */
  rootfs: string;
  args: string[];
  /** The full environment; PATH is added when missing. */
  env?: string[];
  /** Default "/". */
  cwd?: string;
  /** "uid[:gid]" or "name[:group]", resolved in the rootfs (default root). */
  user?: string;
  mounts?: RunProcessMount[];
  /** Default "private" (own network namespace, loopback only); "host" for package installs. */
  network?: 'none' | 'host' | 'private';
  hostname?: string;
  /** Extra /etc/hosts lines. */
  extraHosts?: string[];
  runtime?: 'crun' | 'runc';
  readOnlyRootfs?: boolean;
  /** Fed to the process's stdin, then closed. */
  stdin?: Buffer | string;
  /** Live output as it comes. */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Bytes of combined output kept in the result (the tail); default 1 MiB. */
  maxOutput?: number;
  /** Aborting kills the process (SIGKILL). */
  signal?: AbortSignal;
  capAdd?: string[];
  privileged?: boolean;
}

export interface RunProcessResult {
  /** The process's exit code; 126/127 when it could not be started (message in output). */
  exitCode: number;
  /** Combined stdout+stderr, in order (tail if longer than maxOutput). */
  output: Buffer;
}

function collector(max: number): { sink: (b: Buffer) => void; result: () => Buffer } {
  let chunks: Buffer[] = [];
  let size = 0;
  return {
    sink: (b) => {
      chunks.push(b);
      size += b.length;
      if (size > max * 2) {
        const all = Buffer.concat(chunks).subarray(-max);
        chunks = [all];
        size = all.length;
      }
    },
    result: () => Buffer.concat(chunks).subarray(-max),
  };
}

export async function runProcess(o: RunProcessOptions): Promise<RunProcessResult> {
  const p = { root: o.root, runRoot: o.runRoot };
  const id = `build-${randomBytes(12).toString('hex')}`;
  const runtimeName = o.runtime ?? 'crun';
  const rt = new OciRuntime(runtimeName, p);
  const bundle = join(o.runRoot, 'build', id);
  const exitDir = join(bundle, 'exits');
  for (const d of [bundle, exitDir, paths.socketDir(p), paths.tmp(p)]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const env = o.env ?? [];
  const cfg: ContainerConfig = {
    image: '', imageId: '', rootfsDir: o.rootfs, entrypoint: [], cmd: o.args,
    env: env.some((e) => e.startsWith('PATH=')) ? env : [DEFAULT_PATH_ENV, ...env],
    workingDir: o.cwd ?? '/', user: o.user ?? '', tty: false, openStdin: o.stdin !== undefined,
    hostname: o.hostname ?? id.slice(6, 18), labels: {}, mounts: [], readOnly: o.readOnlyRootfs ?? false,
    network: o.network ?? 'private', restartPolicy: { name: 'no', maximumRetryCount: 0 }, autoRemove: true,
    resources: {}, ulimits: [], capAdd: o.capAdd ?? [], capDrop: [], privileged: o.privileged ?? false, noNewPrivileges: false,
    init: false, stopSignal: 'SIGTERM', stopTimeout: 10, devices: [], shmSize: 64 * 1024 * 1024, groupAdd: [], runtime: runtimeName,
  };
  const rec = { id, name: id, created: '', config: cfg } as ContainerRecord;
  const out = collector(o.maxOutput ?? 1 << 20);
  const sinkFor = (stream: 'stdout' | 'stderr'): Writable => new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.sink(chunk);
      o.onOutput?.(stream, chunk);
      cb();
    },
  });
  let created = false;
  try {
    const etc = writeEtcFiles(rec, bundle, { hostsEntries: o.extraHosts ?? [], resolvConf: hostResolvConf(), ipAddresses: {} });
    const user = resolveUser(o.rootfs, cfg.user, []);
    const mounts: OciMount[] = (o.mounts ?? []).map((m) => m.type === 'tmpfs'
      ? { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options ?? ['mode=1777']), ...(m.readOnly ? ['ro'] : [])] }
      : { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw', ...(m.options ?? [])] });
    const spec = generateSpec({
      id, cfg, rootfs: o.rootfs, args: o.args, user, extraMounts: [...etc, ...mounts], hostLimits: hostLimits(),
      env: [...cfg.env, ...(cfg.env.some((e) => e.startsWith('HOME=')) ? [] : [`HOME=${user.home}`]), ...(cfg.env.some((e) => e.startsWith('HOSTNAME=')) ? [] : [`HOSTNAME=${cfg.hostname}`])],
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    try {
      await conmonCreate({
        id, uuid: id, name: id, runtimeBin: rt.bin, runtimeRoot: rt.stateRoot, bundle, persistDir: bundle, exitDir,
        logPath: join(bundle, 'ctr.log'), socketDir: paths.socketDir(p), tty: false, stdin: o.stdin !== undefined, tmpDir: paths.tmp(p),
      }, runtimeName);
    } catch (e) {
      const code = (e as { exitCode?: number }).exitCode;
      if (code === 126 || code === 127) return { exitCode: code, output: Buffer.from((e as Error).message + '\n') };
      throw e;
    }
    created = true;
    const input = o.stdin === undefined ? undefined : new PassThrough();
    const { done } = await attach(paths.attachSocket(p, id), { stdout: sinkFor('stdout'), stderr: sinkFor('stderr'), stdin: input });
    const onAbort = (): void => {
      try {
        rt.kill(id, 'KILL', true);
      } catch { /* exited */ }
    };
    o.signal?.addEventListener('abort', onAbort);
    try {
      rt.start(id);
      input?.end(o.stdin);
      if (o.signal?.aborted) onAbort();
      await done;
      const exitFile = join(exitDir, id);
      for (let i = 0; i < 300 && !existsSync(exitFile); i++) await new Promise((r) => setTimeout(r, 10));
      const code = Number(readFileSync(exitFile, 'utf8').trim());
      return { exitCode: code, output: out.result() };
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    if (created) {
      try {
        rt.kill(id, 'KILL', true);
      } catch { /* exited */ }
    }
    try {
      rt.delete(id, true);
    } catch { /* gone */ }
    removeContainerCgroups(id);
    rmSync(join(paths.socketDir(p), id), { force: true });
    rmSync(bundle, { recursive: true, force: true });
  }
}
