// diff, commit and export: a container's filesystem as changes, a new image, or a tar.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import type { ContainerConfig as ImageRunConfig } from '../oci/types.js';
import { containerRootfs } from './create.js';
import { imageSource, type Change } from './imagesource.js';
import { pauseContainer, unpauseContainer } from './ops.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './types.js';

function needSnapshot(rec: ContainerRecord, verb: string): string {
  if (!rec.config.snapshotKey) throw new TugError('UNSUPPORTED', `${verb} of a --rootfs container is not supported yet`, { hint: 'run an image to get a snapshot that tug can compare' });
  return rec.config.snapshotKey;
}

export async function containerChanges(svc: ContainerService, rec: ContainerRecord): Promise<Change[]> {
  const key = needSnapshot(rec, 'diff');
  const changes = await (await imageSource(svc.p.root)).changes(key);
  return [...changes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** docker commit --change: the instructions a commit may carry. */
export function applyChanges(cfg: ImageRunConfig, changes: string[]): ImageRunConfig {
  const out: ImageRunConfig = { ...cfg };
  const json = (v: string): string[] | undefined => {
    try {
      const a = JSON.parse(v);
      return Array.isArray(a) && a.every((x) => typeof x === 'string') ? a : undefined;
    } catch {
      return undefined;
    }
  };
  for (const line of changes) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(line);
    if (!m) throw new TugError('INVALID_ARGUMENT', `invalid --change: "${line}"`, { hint: 'e.g. --change "ENV A=1" or --change \'CMD ["sh"]\'' });
    const [, ins, rest] = m;
    const arg = rest.trim();
    switch (ins.toUpperCase()) {
      case 'CMD': out.Cmd = json(arg) ?? ['/bin/sh', '-c', arg]; break;
      case 'ENTRYPOINT': out.Entrypoint = json(arg) ?? ['/bin/sh', '-c', arg]; break;
      case 'ENV': {
        const env = [...(out.Env ?? [])];
        const pairs = arg.includes('=') ? arg.match(/(\w+)=("[^"]*"|\S*)/g) ?? [] : [arg.replace(/\s+/, '=')];
        for (const p of pairs) {
          const eq = p.indexOf('=');
          const k = p.slice(0, eq);
          const v = p.slice(eq + 1).replace(/^"(.*)"$/, '$1');
          const i = env.findIndex((e) => e.startsWith(`${k}=`));
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        out.Env = env;
        break;
      }
      case 'WORKDIR': out.WorkingDir = arg; break;
      case 'USER': out.User = arg; break;
      case 'LABEL': {
        const labels = { ...(out.Labels ?? {}) };
        for (const p of arg.match(/([\w.-]+)=("[^"]*"|\S*)/g) ?? []) {
          const eq = p.indexOf('=');
          labels[p.slice(0, eq)] = p.slice(eq + 1).replace(/^"(.*)"$/, '$1');
        }
        out.Labels = labels;
        break;
      }
      case 'EXPOSE': {
        const ports = { ...(out.ExposedPorts ?? {}) };
        for (const p of arg.split(/\s+/)) ports[p.includes('/') ? p : `${p}/tcp`] = {};
        out.ExposedPorts = ports;
        break;
      }
      case 'VOLUME': {
        const vols = { ...(out.Volumes ?? {}) };
        for (const v of json(arg) ?? arg.split(/\s+/)) vols[v] = {};
        out.Volumes = vols;
        break;
      }
      case 'STOPSIGNAL': out.StopSignal = arg; break;
      case 'ONBUILD': out.OnBuild = [...(out.OnBuild ?? []), arg]; break;
      default:
        throw new TugError('INVALID_ARGUMENT', `${ins} is not a valid change command`, { hint: 'allowed: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR' });
    }
  }
  return out;
}

export interface CommitOptions {
  tag?: string;
  author: string;
  message: string;
  changes: string[];
  pause: boolean;
}

export async function commitContainer(svc: ContainerService, rec: ContainerRecord, o: CommitOptions): Promise<string> {
  const key = needSnapshot(rec, 'commit');
  const c = rec.config;
  let config: ImageRunConfig = {
    ...(c.user ? { User: c.user } : {}),
    Env: c.env,
    Cmd: c.cmd,
    ...(c.entrypoint.length ? { Entrypoint: c.entrypoint } : {}),
    WorkingDir: c.workingDir === '/' ? '' : c.workingDir,
    ...(Object.keys(c.labels).length ? { Labels: c.labels } : {}),
    ...(c.stopSignal !== 'SIGTERM' ? { StopSignal: c.stopSignal } : {}),
    ...(c.healthcheck ? { Healthcheck: { Test: c.healthcheck.test, Interval: c.healthcheck.intervalNs, Timeout: c.healthcheck.timeoutNs, StartPeriod: c.healthcheck.startPeriodNs, Retries: c.healthcheck.retries } } : {}),
  };
  const anon = c.mounts.filter((m) => m.anonymous).map((m) => m.destination);
  if (anon.length) config.Volumes = Object.fromEntries(anon.map((v) => [v, {}]));
  config = applyChanges(config, o.changes);
  const src = await imageSource(svc.p.root);
  const paused = o.pause && rec.state.status === 'running';
  if (paused) pauseContainer(svc, rec);
  try {
    return await src.commit({ key, baseImageId: c.imageId, config, comment: o.message, author: o.author, tag: o.tag, createdBy: [...c.entrypoint, ...c.cmd].join(' ') });
  } finally {
    if (paused) unpauseContainer(svc, (await svc.get(rec.id)));
  }
}

/** Mounts a stopped container's rootfs for the duration of fn (a running one is already mounted). */
export async function withRootfs<T>(svc: ContainerService, rec: ContainerRecord, fn: (rootfs: string) => Promise<T>): Promise<T> {
  const rootfs = containerRootfs(svc, rec);
  const running = rec.state.status === 'running' || rec.state.status === 'paused';
  if (!rec.config.snapshotKey || running) return fn(rootfs);
  const src = await imageSource(svc.p.root);
  mkdirSync(rootfs, { recursive: true });
  await src.mount(rec.config.snapshotKey, rootfs);
  try {
    return await fn(rootfs);
  } finally {
    await src.unmount(rootfs).catch(() => {});
  }
}

/** docker export: the container's filesystem as a tar stream. */
export async function exportContainer(svc: ContainerService, rec: ContainerRecord, out: NodeJS.WritableStream): Promise<void> {
  await withRootfs(svc, rec, (rootfs) => new Promise<void>((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '--xattrs', '--one-file-system', '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    tar.stderr.on('data', (b: Buffer) => (err += b));
    tar.stdout.pipe(out, { end: false });
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new TugError('INTERNAL', `export failed: ${err.trim()}`))));
  }));
}
