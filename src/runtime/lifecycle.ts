// stop, kill, wait, restart policies and the exit command's cleanup.
import { existsSync, rmSync, watch } from 'node:fs';
import { TugError } from '../util/errors.js';
import { paths } from './paths.js';
import { pidAlive, type ContainerService } from './service.js';
import { startContainer } from './start.js';
import type { ContainerRecord } from './types.js';

export { SIGNALS, normaliseSignal } from './signals.js';
import { normaliseSignal } from './signals.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for the container's exit file; resolves true if it appeared within timeoutMs (undefined = forever). */
export async function waitExitFile(svc: ContainerService, id: string, timeoutMs?: number): Promise<boolean> {
  const f = paths.exitFile(svc.p, id);
  if (existsSync(f)) return true;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  return new Promise((resolve) => {
    let done = false;
    let w: ReturnType<typeof watch> | undefined;
    const finish = (v: boolean): void => {
      if (done) return;
      done = true;
      w?.close();
      clearInterval(timer);
      resolve(v);
    };
    try {
      w = watch(paths.exitDir(svc.p), (_e, name) => {
        if (name === id && existsSync(f)) finish(true);
      });
      w.on('error', () => {});
    } catch { /* poll only */ }
    // Poll too: inotify misses nothing, but conmon may die without writing the file.
    const timer = setInterval(() => {
      if (existsSync(f)) finish(true);
      else if (Date.now() > deadline) finish(false);
      else if (!svc.conmonAlive(id)) finish(existsSync(f));
    }, 100);
  });
}

export async function killContainer(svc: ContainerService, rec: ContainerRecord, signal = 'KILL'): Promise<void> {
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
    throw new TugError('CONFLICT', `cannot kill container: ${rec.name}: container ${rec.id} is not running`, { hint: `start it first: tug start ${rec.name}` });
  }
  const sig = normaliseSignal(signal);
  svc.store.updateState(rec.id, (s) => {
    s.stoppedByUser = true;
  });
  const rt = svc.runtime(rec.config.runtime);
  try {
    rt.kill(rec.id, sig);
  } catch (e) {
    if ((await svc.refresh(svc.store.get(rec.id) ?? rec)).state.status === 'running') throw e;
    return;
  }
  if (rec.state.status === 'paused' && (sig === 'KILL' || sig === '9')) {
    try {
      rt.resume(rec.id);
    } catch { /* already gone */ }
  }
}

/** docker stop: the stop signal, then SIGKILL after the timeout; waits for the exit. */
export async function stopContainer(svc: ContainerService, rec: ContainerRecord, timeoutSec?: number, signal?: string): Promise<ContainerRecord> {
  if (rec.state.status !== 'running' && rec.state.status !== 'paused') {
    // docker: stopping a stopped container is not an error
    svc.store.updateState(rec.id, (s) => {
      s.stoppedByUser = true;
    });
    return rec;
  }
  const rt = svc.runtime(rec.config.runtime);
  svc.store.updateState(rec.id, (s) => {
    s.stoppedByUser = true;
  });
  const t = timeoutSec ?? rec.config.stopTimeout;
  if (rec.state.status === 'paused') {
    rt.kill(rec.id, 'KILL');
    try {
      rt.resume(rec.id);
    } catch { /* */ }
  } else {
    try {
      rt.kill(rec.id, normaliseSignal(signal ?? rec.config.stopSignal));
    } catch { /* exited meanwhile */ }
  }
  let exited = t < 0 ? await waitExitFile(svc, rec.id) : await waitExitFile(svc, rec.id, t * 1000);
  if (!exited) {
    try {
      rt.kill(rec.id, 'KILL', true);
    } catch { /* exited */ }
    exited = await waitExitFile(svc, rec.id, 10_000);
  }
  return svc.refresh(svc.store.get(rec.id) ?? rec);
}

/** docker wait: blocks until the container stops; returns its exit code. */
export async function waitContainer(svc: ContainerService, rec: ContainerRecord): Promise<number> {
  for (;;) {
    const cur = svc.store.get(rec.id);
    if (!cur) return rec.state.exitCode;
    const fresh = await svc.refresh(cur);
    if (fresh.state.status === 'exited' || fresh.state.status === 'dead' || fresh.state.status === 'created') {
      if (fresh.state.status !== 'created' || rec.state.status === 'created') return fresh.state.exitCode;
    }
    if (fresh.state.status === 'restarting') await sleep(100);
    else await waitExitFile(svc, rec.id, 2000);
  }
}

function shouldRestart(rec: ContainerRecord): boolean {
  const p = rec.config.restartPolicy;
  const s = rec.state;
  if (s.stoppedByUser) return false;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return s.exitCode !== 0 && (p.maximumRetryCount === 0 || s.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}


/**
 * conmon's exit command (`tug container cleanup ID GEN`): record the exit,
 * release resources, then restart per policy or remove for --rm.
 */
export async function cleanupContainer(svc: ContainerService, id: string, gen: number): Promise<void> {
  const cur = svc.store.get(id);
  if (!cur || cur.state.generation !== gen) return;
  const rec = await svc.refresh(cur);
  if (rec.state.status !== 'exited') return;
  if (shouldRestart(rec)) {
    // "Restarting" during docker's back-off (100 ms, doubling); the old exit file goes, its code is recorded
    let claimed = false;
    const again = svc.store.updateState(id, (s) => {
      if (s.generation !== gen || s.stoppedByUser || s.status !== 'exited') return false;
      s.restartCount += 1;
      s.status = 'restarting';
      s.starterPid = process.pid;
      claimed = true;
    });
    if (!again || !claimed) return;
    rmSync(paths.exitFile(svc.p, id), { force: true });
    await sleep(Math.min(100 * 2 ** (again.state.restartCount - 1), 10_000));
    if (svc.store.get(id)?.state.stoppedByUser) {
      svc.store.updateState(id, (s) => {
        if (s.generation !== gen || s.status !== 'restarting') return false;
        s.status = 'exited';
      });
      return;
    }
    try {
      await startContainer(svc, again);
    } catch { /* recorded in the state's error */ }
    return;
  }
  if (rec.config.autoRemove && !pidAlive(rec.state.foregroundPid)) await svc.remove(rec, true);
}

export async function restartContainer(svc: ContainerService, rec: ContainerRecord, timeoutSec?: number): Promise<void> {
  const stopped = await stopContainer(svc, rec, timeoutSec);
  svc.store.updateState(stopped.id, (s) => {
    s.stoppedByUser = false;
  });
  await startContainer(svc, svc.store.get(stopped.id)!);
}
