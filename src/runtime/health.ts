// Healthchecks without a daemon: `tug run` spawns a detached
// `tug container healthcheck-loop ID GEN` per container with a HEALTHCHECK.
// It probes with `<runtime> exec` every interval, records the result in the
// container's state (docker's rules: start period, retries, last 5 results),
// and exits as soon as that run of the container is over.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execProcessSpec } from './exec.js';
import { paths } from './paths.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './types.js';

const MAX_OUTPUT = 4096;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function probeArgs(test: string[]): string[] {
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  if (test[0] === 'CMD') return test.slice(1);
  return test;
}

/** Runs the probe once; resolves with its exit code (-1 on timeout) and output. */
export function probe(svc: ContainerService, rec: ContainerRecord): Promise<{ exitCode: number; output: string }> {
  const hc = rec.config.healthcheck!;
  const dir = join(paths.bundle(svc.p, rec.id), 'health');
  mkdirSync(dir, { recursive: true });
  const procPath = join(dir, `probe-${process.pid}.json`);
  writeFileSync(procPath, JSON.stringify(execProcessSpec(svc, rec, { cmd: probeArgs(hc.test), tty: false, env: [], privileged: false })));
  const rt = svc.runtime(rec.config.runtime);
  return new Promise((resolve) => {
    execFile(rt.bin, ['--root', rt.stateRoot, 'exec', '--process', procPath, rec.id], { timeout: Math.max(1, hc.timeoutNs / 1e6), killSignal: 'SIGKILL', maxBuffer: 1 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      rmSync(procPath, { force: true });
      const output = (stdout + stderr).slice(0, MAX_OUTPUT);
      if (!err) return resolve({ exitCode: 0, output });
      const e = err as { killed?: boolean; code?: number | string };
      if (e.killed) return resolve({ exitCode: -1, output: `Health check exceeded timeout (${hc.timeoutNs / 1e9}s)` });
      resolve({ exitCode: typeof e.code === 'number' ? e.code : 1, output });
    });
  });
}

export async function healthLoop(svc: ContainerService, id: string, gen: number): Promise<void> {
  for (;;) {
    const rec0 = svc.store.get(id);
    if (!rec0?.config.healthcheck) return;
    await sleep(rec0.config.healthcheck.intervalNs / 1e6);
    const cur = svc.store.get(id);
    if (!cur) return;
    const rec = await svc.refresh(cur);
    if (rec.state.generation !== gen || (rec.state.status !== 'running' && rec.state.status !== 'paused')) return;
    if (rec.state.status === 'paused') continue;
    const start = new Date().toISOString();
    const r = await probe(svc, rec);
    const end = new Date().toISOString();
    svc.store.updateState(id, (s, full) => {
      if (s.generation !== gen || !s.health) return false;
      const hc = full.config.healthcheck!;
      s.health.log = [...s.health.log, { start, end, exitCode: r.exitCode, output: r.output }].slice(-5);
      if (r.exitCode === 0) {
        s.health.status = 'healthy';
        s.health.failingStreak = 0;
        return;
      }
      const inStartPeriod = Date.now() - Date.parse(s.startedAt) < hc.startPeriodNs / 1e6;
      if (inStartPeriod && s.health.status !== 'healthy') return; // failures while starting do not count
      s.health.failingStreak += 1;
      if (s.health.failingStreak >= hc.retries) s.health.status = 'unhealthy';
    });
  }
}
