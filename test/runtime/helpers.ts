// Shared by the runtime suites: a busybox rootfs, a throwaway state root, and
// leak checks (mounts, conmon processes, cgroup dirs, container records).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { runRootFor } from '../../src/cli/context.js';
import { join } from 'node:path';
import { BUSYBOX_TAR, tempRoot, tug, type TempRoot } from '../helpers.js';

export const RUNTIMES = (process.env.TUG_TEST_RUNTIMES ?? 'crun,runc').split(',');

/** A busybox rootfs directory extracted under dir (a test's temp root, removed with it). */
export function busyboxRootfs(dir: string): string {
  const rootfs = join(dir, 'busybox-rootfs');
  if (!existsSync(join(rootfs, 'bin', 'busybox'))) {
    mkdirSync(rootfs, { recursive: true });
    execFileSync('tar', ['-xf', BUSYBOX_TAR, '-C', rootfs]);
  }
  return rootfs;
}

/** Mount points under a path (from /proc/self/mountinfo). */
export function mountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(path));
}

/** conmon processes whose command line mentions the text (a root or an id). */
export function conmonsFor(text: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(text)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

export function cgroupDirsFor(id: string): string[] {
  const out: string[] = [];
  for (const c of ['memory', 'pids', 'cpu', 'devices', 'freezer', 'unified']) {
    const d = `/sys/fs/cgroup/${c}/tug/${id}`;
    if (existsSync(d)) out.push(d);
  }
  return out;
}

export interface Leaks {
  mounts: string[];
  conmons: number[];
  cgroups: string[];
  records: string[];
}

export async function leaks(t: TempRoot, ids: string[] = []): Promise<Leaks> {
  const ps = await tug(['ps', '-a', '-q', '--no-trunc'], { root: t.root });
  const records = ps.stdout.split('\n').filter(Boolean);
  const allIds = [...ids, ...records];
  return {
    mounts: mountsUnder(t.root),
    conmons: conmonsFor(t.root),
    cgroups: allIds.flatMap(cgroupDirsFor),
    records,
  };
}

export const NO_LEAKS: Leaks = { mounts: [], conmons: [], cgroups: [], records: [] };

/** A root whose containers are all force-removed at the end. */
export function runtimeRoot(): TempRoot & { done(): Promise<void> } {
  const t = tempRoot('tug-rt-');
  return {
    ...t,
    async done() {
      const ps = await tug(['ps', '-a', '-q'], { root: t.root });
      const ids = ps.stdout.split('\n').filter(Boolean);
      if (ids.length) await tug(['rm', '-f', '-v', ...ids], { root: t.root });
      for (const m of mountsUnder(t.root).reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch { /* gone */ }
      }
      t.cleanup();
      rmSync(runRootFor(t.root, {}), { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
