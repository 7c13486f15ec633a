// `create`: merge the user's request with the image's config (docker's
// rules for ENTRYPOINT/CMD, ENV, USER, WORKDIR, STOPSIGNAL, HEALTHCHECK,
// VOLUME), check it, and write the record and the container's snapshot.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { TugError } from '../util/errors.js';
import type { ContainerConfig as ImageRunConfig } from '../oci/types.js';
import { imageSource, type ResolvedImage } from './imagesource.js';
import { checkNetworkConfig } from './network.js';
import { newId, randomName, NAME_RE } from './names.js';
import { INIT_BIN, paths } from './paths.js';
import type { ContainerService } from './service.js';
import { DEFAULT_PATH_ENV, effectiveCaps } from './spec.js';
import { normaliseSignal } from './signals.js';
import { trace } from './trace.js';
import type { ContainerConfig, ContainerRecord, Healthcheck, MountSpec } from './types.js';

export interface CreateRequest extends Omit<ContainerConfig, 'imageId' | 'entrypoint' | 'cmd' | 'workingDir' | 'user' | 'stopSignal' | 'stopTimeout' | 'healthcheck' | 'hostname' | 'snapshotKey'> {
  name?: string;
  cmd: string[];
  /** undefined: the image's; [] (from --entrypoint "") resets it. */
  entrypoint?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  stopSignal?: string;
  stopTimeout?: number;
  /** docker's --pull: missing (default) pulls an image that is not here; always; never. */
  pull?: 'always' | 'missing' | 'never';
  /** Where pull progress goes (stderr for run/create). */
  pullOutput?: NodeJS.WritableStream;
  /** Overrides of the image's HEALTHCHECK; `disable` for --no-healthcheck. */
  health?: Partial<Healthcheck> & { disable?: boolean };
}

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...base, ...extra]) {
    const eq = e.indexOf('=');
    out.set(eq < 0 ? e : e.slice(0, eq), e);
  }
  return [...out.values()];
}

const SECOND = 1e9;

function mergeHealth(img: ImageRunConfig['Healthcheck'], req: CreateRequest['health']): Healthcheck | undefined {
  if (req?.disable) return undefined;
  const test = req?.test ?? img?.Test;
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  return {
    test,
    intervalNs: req?.intervalNs || img?.Interval || 30 * SECOND,
    timeoutNs: req?.timeoutNs || img?.Timeout || 30 * SECOND,
    startPeriodNs: req?.startPeriodNs || img?.StartPeriod || 0,
    retries: req?.retries || img?.Retries || 3,
  };
}

/** Validates mounts and fills in anonymous volumes for the image's VOLUMEs. */
function checkMounts(mounts: MountSpec[], imageVolumes: string[]): MountSpec[] {
  const out: MountSpec[] = [];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (!isAbsolute(m.destination)) {
      throw new TugError('INVALID_ARGUMENT', `invalid mount config: mount path must be absolute: "${m.destination}"`, { hint: 'container paths start with /' });
    }
    if (seen.has(m.destination)) throw new TugError('INVALID_ARGUMENT', `duplicate mount point: ${m.destination}`, { hint: 'mount each container path once' });
    seen.add(m.destination);
    if (m.type === 'bind') {
      const src = resolve(m.source);
      if (!existsSync(src)) {
        throw new TugError('INVALID_ARGUMENT', `invalid mount config for type "bind": bind source path does not exist: ${src}`, { hint: 'create the host path first, or fix the path' });
      }
      out.push({ ...m, source: src });
    } else out.push(m);
  }
  for (const v of imageVolumes) {
    if (!seen.has(v)) out.push({ type: 'volume', source: '', destination: v, readOnly: false, options: [], anonymous: true });
  }
  return out;
}

/** Finds the image, pulling it per --pull (docker prints "Unable to find image … locally" first). */
async function resolveOrPull(svc: ContainerService, req: CreateRequest): Promise<ResolvedImage> {
  const src = await imageSource(svc.p.root);
  const pull = req.pull ?? 'missing';
  const doPull = async (): Promise<void> => {
    const { pullImage } = await import('../distribution/pull.js');
    const { progressRenderer } = await import('../distribution/progress.js');
    const out = req.pullOutput ?? process.stderr;
    const r = progressRenderer(out as NodeJS.WriteStream);
    try {
      await pullImage(svc.p.root, req.image, { progress: r.sink, env: process.env });
    } finally {
      r.done();
    }
  };
  if (pull === 'always') await doPull();
  try {
    return await src.resolve(req.image);
  } catch (e) {
    if (pull !== 'missing' || !(e instanceof TugError) || e.code !== 'NOT_FOUND') throw e;
  }
  (req.pullOutput ?? process.stderr).write(`Unable to find image '${req.image}' locally\n`);
  await doPull();
  return src.resolve(req.image);
}

export async function createContainer(svc: ContainerService, req: CreateRequest): Promise<ContainerRecord> {
  if (req.name !== undefined && !NAME_RE.test(req.name)) {
    throw new TugError('INVALID_ARGUMENT', `Invalid container name (${req.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { hint: 'choose a name made of letters, digits, _ . -' });
  }
  if (req.name !== undefined && svc.store.find(req.name)?.name === req.name) {
    const clash = svc.store.find(req.name)!;
    throw new TugError('ALREADY_EXISTS', `the container name "/${req.name}" is already in use by container "${clash.id}"`, { hint: 'remove (or rename) that container to be able to reuse that name' });
  }
  effectiveCaps(req); // validates --cap-add/--cap-drop names up front
  await checkNetworkConfig(svc.p.root, req);
  if (req.stopSignal !== undefined) normaliseSignal(req.stopSignal);
  if (req.init && !existsSync(INIT_BIN)) throw new TugError('NOT_FOUND', `--init needs ${INIT_BIN}, which is missing`, { hint: 'apt-get install tini' });
  svc.runtime(req.runtime); // validates --runtime
  let image: ResolvedImage;
  if (req.rootfsDir) {
    const dir = resolve(req.rootfsDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new TugError('NOT_FOUND', `rootfs ${dir}: no such directory`, { hint: 'give --rootfs a directory holding a root filesystem' });
    image = { id: '', config: {}, ref: dir };
    req.rootfsDir = dir;
  } else {
    image = await resolveOrPull(svc, req);
  }
  trace('create: image resolved');
  const ic = image.config;
  const entrypoint = req.entrypoint ?? ic.Entrypoint ?? [];
  const cmd = req.cmd.length ? req.cmd : req.entrypoint !== undefined ? [] : ic.Cmd ?? [];
  if (entrypoint.length === 0 && cmd.length === 0) {
    throw new TugError('INVALID_ARGUMENT', 'no command specified', { hint: 'give a command after the image name; the image has no CMD or ENTRYPOINT' });
  }
  let env = mergeEnv(ic.Env ?? [], req.env);
  if (!env.some((e) => e.startsWith('PATH='))) env = [DEFAULT_PATH_ENV, ...env];
  const id = newId();
  const name = req.name ?? randomName((n) => svc.store.find(n)?.name === n);
  const config: ContainerConfig = {
    ...req,
    image: req.rootfsDir ? '' : req.image,
    imageId: image.id,
    entrypoint,
    cmd,
    env,
    workingDir: req.workingDir || ic.WorkingDir || '/',
    user: req.user ?? ic.User ?? '',
    hostname: req.hostname ?? id.slice(0, 12),
    labels: { ...(ic.Labels ?? {}), ...req.labels },
    exposedPorts: [...new Set([...Object.keys(ic.ExposedPorts ?? {}), ...(req.exposedPorts ?? [])])],
    mounts: checkMounts(req.mounts, Object.keys(ic.Volumes ?? {})),
    stopSignal: req.stopSignal ?? ic.StopSignal ?? 'SIGTERM',
    stopTimeout: req.stopTimeout ?? 10,
    healthcheck: mergeHealth(ic.Healthcheck, req.health),
    snapshotKey: req.rootfsDir ? undefined : `tug-ctr-${id}`,
  };
  delete (config as Partial<CreateRequest>).name;
  delete (config as Partial<CreateRequest>).health;
  if (!isAbsolute(config.workingDir)) throw new TugError('INVALID_ARGUMENT', `the working directory '${config.workingDir}' is invalid, it needs to be an absolute path`, { hint: 'use -w /path' });

  // Named and anonymous volumes exist before the record, so a failed create can remove them.
  const createdVolumes: string[] = [];
  for (const m of config.mounts) {
    if (m.type !== 'volume') continue;
    const existed = m.source !== '' && svc.volumes.get(m.source) !== undefined;
    const v = svc.volumes.create(m.source || undefined, {}, m.anonymous ?? false);
    m.source = v.name;
    if (!existed) createdVolumes.push(v.name);
  }
  const rec: ContainerRecord = {
    id, name, created: new Date().toISOString(), config,
    state: { status: 'created', pid: 0, conmonPid: 0, exitCode: 0, error: '', oomKilled: false, startedAt: '', finishedAt: '', restartCount: 0, stoppedByUser: false, foregroundPid: 0, generation: 0 },
  };
  mkdirSync(paths.ctrDir(svc.p, id), { recursive: true, mode: 0o700 });
  try {
    // The record first: if this process dies half-way, `rm` finds the container and removes what exists.
    svc.store.insert(rec);
    trace('create: record inserted');
    if (config.snapshotKey) {
      const init = {
        dirs: ['/proc', '/sys', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue'],
        files: ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', ...(config.init ? ['/sbin/docker-init'] : [])],
      };
      config.initLayer = (await (await imageSource(svc.p.root)).prepare(config.snapshotKey, image.id, init)) ?? undefined;
      svc.store.updateConfig(rec);
    }
  } catch (e) {
    if (config.snapshotKey) await (await imageSource(svc.p.root)).remove(config.snapshotKey).catch(() => {});
    svc.store.delete(id);
    await import('node:fs').then((fs) => fs.rmSync(paths.ctrDir(svc.p, id), { recursive: true, force: true }));
    for (const v of createdVolumes) {
      try {
        svc.volumes.remove(v, []);
      } catch { /* gone */ }
    }
    throw e;
  }
  return rec;
}

export const containerRootfs = (svc: ContainerService, rec: ContainerRecord): string => rec.config.rootfsDir ?? join(paths.rootfsMount(svc.p, rec.id));
