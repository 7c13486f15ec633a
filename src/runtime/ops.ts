// Smaller verbs over a container: pause, unpause, rename, update, top, stats,
// prune. Each checks the state docker would check and says what to do instead.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';
import { cgroupPids, readStats } from './cgroups.js';
import { NAME_RE } from './names.js';
import type { OciResources } from './ocispec.js';
import { paths } from './paths.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord, Resources, RestartPolicy } from './types.js';

function mustRun(rec: ContainerRecord): void {
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
    throw new TugError('CONFLICT', `container ${rec.id} is not running`, { hint: `start it first: tug start ${rec.name}` });
  }
}

export function pauseContainer(svc: ContainerService, rec: ContainerRecord): void {
  mustRun(rec);
  if (rec.state.status === 'paused') throw new TugError('CONFLICT', `container ${rec.id} is already paused`, { hint: `tug unpause ${rec.name}` });
  svc.runtime(rec.config.runtime).pause(rec.id);
  svc.store.updateState(rec.id, (s) => {
    if (s.status !== 'running') return false;
    s.status = 'paused';
  });
}

export function unpauseContainer(svc: ContainerService, rec: ContainerRecord): void {
  if (rec.state.status !== 'paused') throw new TugError('CONFLICT', `container ${rec.id} is not paused`, { hint: 'only paused containers can be unpaused' });
  svc.runtime(rec.config.runtime).resume(rec.id);
  svc.store.updateState(rec.id, (s) => {
    if (s.status !== 'paused') return false;
    s.status = 'running';
  });
}

export function renameContainer(svc: ContainerService, rec: ContainerRecord, name: string): void {
  const n = name.startsWith('/') ? name.slice(1) : name;
  if (!NAME_RE.test(n)) throw new TugError('INVALID_ARGUMENT', `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, { hint: 'choose a name made of letters, digits, _ . -' });
  if (n === rec.name) throw new TugError('INVALID_ARGUMENT', `Renaming a container with the same name as its current name`, { hint: 'give a new name' });
  svc.store.rename(rec.id, n);
}

export function ociResources(r: Resources): OciResources {
  const out: OciResources = {};
  if (r.memory) out.memory = { limit: r.memory, ...(r.memorySwap !== undefined ? { swap: r.memorySwap } : {}) };
  if (r.nanoCpus) out.cpu = { period: 100000, quota: Math.round((r.nanoCpus / 1e9) * 100000) };
  if (r.cpuShares) out.cpu = { ...out.cpu, shares: r.cpuShares };
  if (r.pidsLimit) out.pids = { limit: r.pidsLimit };
  return out;
}

/** docker update: new limits recorded, and applied to a running container by the runtime. */
export function updateContainer(svc: ContainerService, rec: ContainerRecord, res: Resources, restart?: RestartPolicy): void {
  const merged: Resources = { ...rec.config.resources };
  for (const [k, v] of Object.entries(res) as Array<[keyof Resources, number | undefined]>) if (v !== undefined) merged[k] = v;
  if (res.memory !== undefined && res.memorySwap === undefined && rec.config.resources.memorySwap === undefined) merged.memorySwap = res.memory * 2;
  if (merged.memory && merged.memorySwap !== undefined && merged.memorySwap !== -1 && merged.memorySwap < merged.memory) {
    throw new TugError('INVALID_ARGUMENT', 'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time', { hint: 'give --memory-swap too' });
  }
  if (rec.config.autoRemove && restart && restart.name !== 'no') throw new TugError('INVALID_ARGUMENT', 'Restart policy cannot be updated because AutoRemove is enabled for the container', { hint: 'containers run with --rm cannot have a restart policy' });
  if (rec.state.status === 'running' || rec.state.status === 'paused') {
    const dir = mkdtempSync(join(paths.tmp(svc.p), 'update-'));
    try {
      const f = join(dir, 'resources.json');
      const want = ociResources(res);
      if (want.memory && merged.memorySwap !== undefined) want.memory.swap = merged.memorySwap;
      writeFileSync(f, JSON.stringify(want));
      svc.runtime(rec.config.runtime).update(rec.id, f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rec.config.resources = merged;
  if (restart) rec.config.restartPolicy = restart;
  svc.store.updateConfig(rec);
}

/** docker top: host `ps` over the container's processes. */
export function topContainer(rec: ContainerRecord, psArgs: string[]): string {
  mustRun(rec);
  const pids = cgroupPids(rec.id);
  const args = psArgs.length ? psArgs : ['-ef'];
  const out = execFileSync('ps', args, { encoding: 'utf8' });
  const lines = out.split('\n').filter(Boolean);
  const header = lines[0];
  const cols = header.trim().split(/\s+/);
  const pidCol = cols.indexOf('PID');
  if (pidCol < 0) throw new TugError('INVALID_ARGUMENT', `Couldn't find PID field in ps output`, { hint: 'keep the pid column in the ps options' });
  const want = new Set(pids.map(String));
  return [header, ...lines.slice(1).filter((l) => want.has(l.trim().split(/\s+/)[pidCol]))].join('\n') + '\n';
}

export interface StatsRow {
  id: string;
  name: string;
  cpuPercent: number;
  memUsage: number;
  memLimit: number;
  pids: number;
}

/** One stats sample per running container: CPU over a short window, memory and pids now. */
export async function sampleStats(recs: ContainerRecord[], windowMs = 500): Promise<StatsRow[]> {
  const first = recs.map((r) => readStats(r.id));
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, windowMs));
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const hostMem = (await import('node:os')).totalmem();
  return recs.map((r, i) => {
    const s = readStats(r.id);
    const cpu = ((s.cpuUsageNs - first[i].cpuUsageNs) / elapsedNs) * 100;
    const limit = !s.memLimit || s.memLimit === Infinity || s.memLimit > hostMem ? hostMem : s.memLimit;
    return { id: r.id, name: r.name, cpuPercent: Math.max(0, cpu), memUsage: s.memUsage, memLimit: limit, pids: s.pids };
  });
}

/** container prune: removes every stopped container; returns their ids. */
export async function pruneContainers(svc: ContainerService, labelFilter: (r: ContainerRecord) => boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const r of await svc.list()) {
    if (r.state.status !== 'exited' && r.state.status !== 'created' && r.state.status !== 'dead') continue;
    if (!labelFilter(r)) continue;
    await svc.remove(r, false);
    removed.push(r.id);
  }
  return removed;
}
