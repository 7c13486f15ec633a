// Starting a container: rootfs, network, /etc files, spec, conmon, and
// `runtime start` (after attaching, so no output is lost). Anything made
// before a failure is released again.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TugError } from '../util/errors.js';
import { attach, preloadAttach, type AttachEnd, type AttachIo } from './attach.js';
import { conmonCreate } from './conmon.js';
import { containerRootfs } from './create.js';
import { writeEtcFiles } from './etcfiles.js';
import { imageSource } from './imagesource.js';
import { attachNetworks, detachNetworks } from './network.js';
import type { OciMount } from './ocispec.js';
import { INIT_BIN, paths } from './paths.js';
import type { ContainerService } from './service.js';
import { generateSpec, type HostLimits } from './spec.js';
import type { ContainerRecord } from './types.js';
import { resolveUser } from './user.js';
import { trace } from './trace.js';

export const TUG_BIN = fileURLToPath(new URL('../../../bin/tug.js', import.meta.url));

let hostLimitsCache: HostLimits | undefined;
export function hostLimits(): HostLimits {
  if (hostLimitsCache) return hostLimitsCache;
  let nofileHard = 1048576;
  let nprocHard = 1048576;
  try {
    for (const line of readFileSync('/proc/self/limits', 'utf8').split('\n')) {
      const m = /^Max (open files|processes)\s+(\S+)\s+(\S+)/.exec(line);
      if (!m) continue;
      const hard = m[3] === 'unlimited' ? 1048576 : Number(m[3]);
      if (m[1] === 'open files') nofileHard = hard;
      else nprocHard = hard;
    }
  } catch { /* keep defaults */ }
  hostLimitsCache = { nofileHard, nprocHard };
  return hostLimitsCache;
}

function sortByDepth(ms: OciMount[]): OciMount[] {
  const depth = (m: OciMount): number => m.destination.split('/').filter(Boolean).length;
  return [...ms].sort((a, b) => depth(a) - depth(b));
}

/** The user's mounts (binds, volumes, tmpfs) plus --init, as OCI mounts. */
function userMounts(svc: ContainerService, rec: ContainerRecord, rootfs: string): OciMount[] {
  const out: OciMount[] = [];
  for (const m of rec.config.mounts) {
    if (m.type === 'tmpfs') {
      const opts = m.options.length ? m.options : ['mode=1777'];
      out.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...opts, ...(m.readOnly ? ['ro'] : [])] });
      continue;
    }
    let source = m.source;
    if (m.type === 'volume') {
      source = paths.volumeData(svc.p, m.source);
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
      // An empty volume takes the image's content at that path (docker's copy-up).
      if (!m.options.includes('nocopy')) svc.volumes.seed(m.source, join(rootfs, m.destination));
    }
    const prop = m.options.find((o) => /^r?(shared|slave|private)$/.test(o)) ?? 'rprivate';
    out.push({ destination: m.destination, type: 'bind', source, options: ['rbind', prop, m.readOnly ? 'ro' : 'rw'] });
  }
  if (rec.config.init) out.push({ destination: '/sbin/docker-init', type: 'bind', source: INIT_BIN, options: ['bind', 'ro'] });
  return out;
}

export function buildEnv(rec: ContainerRecord, home: string, extra: string[] = []): string[] {
  const env = [...rec.config.env];
  const has = (k: string): boolean => env.some((e) => e.startsWith(`${k}=`));
  if (!has('HOSTNAME')) env.push(`HOSTNAME=${rec.config.hostname}`);
  if (rec.config.tty && !has('TERM')) env.push('TERM=xterm');
  if (!has('HOME')) env.push(`HOME=${home}`);
  for (const e of extra) {
    const k = e.split('=')[0];
    const i = env.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return env;
}

export interface StartOptions {
  /** Attach to the container's stdio (foreground run, start -a). */
  attach?: AttachIo;
  consoleSize?: { height: number; width: number };
  /** Pid of the foreground tug that will wait for the exit (and do --rm itself). */
  foregroundPid?: number;
}

export interface Started {
  rec: ContainerRecord;
  attached?: Promise<AttachEnd>;
}

export async function startContainer(svc: ContainerService, rec0: ContainerRecord, opts: StartOptions = {}): Promise<Started> {
  svc.ensureDirs();
  if (rec0.state.status !== 'running' && rec0.state.status !== 'paused') rmSync(paths.exitFile(svc.p, rec0.id), { force: true });
  let gen = 0;
  const claimed = svc.store.updateState(rec0.id, (s) => {
    if (s.status === 'running' || s.status === 'paused') return false;
    s.generation += 1;
    gen = s.generation;
    s.status = 'restarting'; // "starting": the exit command of the previous run must not touch it
    s.foregroundPid = opts.foregroundPid ?? 0;
    s.stoppedByUser = false;
    s.held = true;
    s.starterPid = process.pid;
    s.error = '';
  });
  if (!claimed) throw new TugError('NOT_FOUND', `No such container: ${rec0.id}`);
  if (gen === 0) return { rec: claimed }; // already running: docker's start is a no-op
  const rec = claimed;
  const { id, config } = rec;
  const rt = svc.runtime(config.runtime);
  const bundle = paths.bundle(svc.p, id);
  const ctrDir = paths.ctrDir(svc.p, id);
  let mounted = false;
  let netUp = false;
  try {
    rmSync(bundle, { recursive: true, force: true });
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    mkdirSync(ctrDir, { recursive: true, mode: 0o700 });
    // A previous run's runtime state (e.g. after a host crash) would make create fail.
    if (rt.hasState(id)) rt.delete(id, true);
    const rootfs = containerRootfs(svc, rec);
    if (config.snapshotKey) {
      mkdirSync(rootfs, { recursive: true });
      // A --rm container's upper dir dies with it: no need to sync it on unmount (slow under I/O load).
      await (await imageSource(svc.p.root)).mount(config.snapshotKey, rootfs, { volatile: config.autoRemove });
      mounted = true;
    }
    trace('start: rootfs mounted');
    const net = await attachNetworks(svc.p, rec, (ref) => svc.store.find(ref));
    netUp = true;
    trace('start: network attached');
    const etc = writeEtcFiles(rec, ctrDir, net);
    const user = resolveUser(rootfs, config.user, config.groupAdd);
    const args = [...config.entrypoint, ...config.cmd];
    const spec = generateSpec({
      id, cfg: config, rootfs, args: config.init ? ['/sbin/docker-init', '--', ...args] : args,
      env: [...(net.env ?? []), ...buildEnv(rec, user.home)], user,
      extraMounts: sortByDepth([...etc, ...userMounts(svc, rec, rootfs)]),
      netnsPath: net.netnsPath, consoleSize: opts.consoleSize, hostLimits: hostLimits(),
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    trace('spec written');
    const cleanupArgv = [process.execPath, TUG_BIN, '--root', svc.p.root, '--runroot', svc.p.runRoot, 'container', 'cleanup', id, String(gen)];
    // A foreground run cleans up itself; then the exit command is only a cheap
    // shell check, so a second node process does not compete for the CPU.
    const exitCommand = opts.foregroundPid && config.restartPolicy.name === 'no'
      ? ['/bin/sh', '-c', `kill -0 ${opts.foregroundPid} 2>/dev/null || exec "$@"`, 'tug-cleanup', ...cleanupArgv]
      : cleanupArgv;
    const created = conmonCreate({
      id, uuid: id, name: rec.name, runtimeBin: rt.bin, runtimeRoot: rt.stateRoot, bundle, persistDir: bundle,
      exitDir: paths.exitDir(svc.p), logPath: paths.logFile(svc.p, id), logSizeMax: config.logMaxSize,
      socketDir: paths.socketDir(svc.p), tty: config.tty, stdin: config.openStdin, exitCommand, tmpDir: paths.tmp(svc.p),
    }, config.runtime);
    // conmon and the runtime work for ~25 ms: load the attach addon meanwhile
    if (opts.attach) preloadAttach();
    const { pid } = await created;
    trace('conmon: created');
    let attached: Promise<AttachEnd> | undefined;
    try {
      if (opts.attach) attached = (await attach(paths.attachSocket(svc.p, id), opts.attach)).done;
      trace('attached');
      rt.start(id);
      trace('runtime start done');
    } catch (e) {
      try {
        rt.kill(id, 'KILL');
      } catch { /* not started */ }
      throw e;
    }
    let conmonPid = 0;
    try {
      conmonPid = Number(readFileSync(join(bundle, 'conmon.pid'), 'utf8').trim());
    } catch { /* written before the sync line; keep 0 if not */ }
    const now = svc.store.updateState(id, (s) => {
      if (s.generation !== gen || s.status !== 'restarting') return false; // it already exited and was cleaned up
      s.status = 'running';
      s.pid = pid;
      s.conmonPid = conmonPid;
      s.startedAt = new Date().toISOString();
      s.exitCode = 0;
      s.oomKilled = false;
      if (config.healthcheck) s.health = { status: 'starting', failingStreak: 0, log: [] };
    }) ?? rec;
    if (config.healthcheck) spawnHealthLoop(svc, id, gen);
    return { rec: now, attached };
  } catch (e) {
    // Leave nothing behind: runtime state, mount, network, cgroups.
    try {
      rt.delete(id, true);
    } catch { /* never created */ }
    if (mounted) await (await imageSource(svc.p.root)).unmount(containerRootfs(svc, rec)).catch(() => {});
    if (netUp) await detachNetworks(svc.p, rec).catch(() => {});
    const { removeContainerCgroups } = await import('./cgroups.js');
    removeContainerCgroups(id);
    rmSync(`${paths.socketDir(svc.p)}/${id}`, { force: true });
    svc.store.updateState(id, (s) => {
      if (s.generation !== gen) return false;
      s.status = s.startedAt ? 'exited' : 'created';
      s.held = false;
      s.error = (e as Error).message;
      s.exitCode = (e as TugError).exitCode ?? 125;
    });
    throw e;
  }
}

/** The healthcheck supervisor: a detached `tug container healthcheck-loop` that exits with the container. */
function spawnHealthLoop(svc: ContainerService, id: string, gen: number): void {
  const child = spawn(process.execPath, [TUG_BIN, '--root', svc.p.root, '--runroot', svc.p.runRoot, 'container', 'healthcheck-loop', id, String(gen)], {
    detached: true, stdio: 'ignore',
  });
  child.unref();
}
