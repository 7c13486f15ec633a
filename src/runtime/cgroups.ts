// cgroup helpers for v1 (tested here: hybrid hosts) and v2 (unified hosts,
// from the kernel's cgroup-v2 documentation; untested on these VMs).
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

let version: 1 | 2 | undefined;

/** 2 when /sys/fs/cgroup itself is cgroup2 (unified), else 1 (legacy or hybrid). */
export function cgroupVersion(): 1 | 2 {
  if (version === undefined) version = existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
  return version;
}

const V1_CONTROLLERS = ['memory', 'cpu', 'cpuacct', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'hugetlb', 'systemd', 'net_cls', 'net_prio', 'perf_event', 'unified'];

/** Every cgroup dir that exists for a container's cgroupsPath /tug/<id>. */
export function containerCgroupDirs(id: string): string[] {
  if (cgroupVersion() === 2) return [join('/sys/fs/cgroup/tug', id)].filter(existsSync);
  return V1_CONTROLLERS.map((c) => join('/sys/fs/cgroup', c, 'tug', id)).filter(existsSync);
}

/** Removes a container's leftover (empty) cgroup dirs; crun/runc normally do this on delete. */
export function removeContainerCgroups(id: string): void {
  for (const d of containerCgroupDirs(id)) {
    try {
      // sub-cgroups first (runc/crun may create none; systemd-style hosts might)
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rmdirSync(join(d, e.name));
      rmdirSync(d);
    } catch {
      /* busy: processes still inside; left for the next cleanup */
    }
  }
}

export interface CgroupStats {
  memUsage: number;
  memLimit: number;
  cpuUsageNs: number;
  pids: number;
}

function readNum(p: string): number {
  try {
    const t = readFileSync(p, 'utf8').trim();
    return t === 'max' ? Infinity : Number(t);
  } catch {
    return 0;
  }
}

export function readStats(id: string): CgroupStats {
  if (cgroupVersion() === 2) {
    const d = join('/sys/fs/cgroup/tug', id);
    let cpu = 0;
    try {
      const m = /usage_usec (\d+)/.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'));
      cpu = m ? Number(m[1]) * 1000 : 0;
    } catch { /* gone */ }
    return { memUsage: readNum(join(d, 'memory.current')), memLimit: readNum(join(d, 'memory.max')), cpuUsageNs: cpu, pids: readNum(join(d, 'pids.current')) };
  }
  const mem = join('/sys/fs/cgroup/memory/tug', id);
  return {
    memUsage: readNum(join(mem, 'memory.usage_in_bytes')),
    memLimit: readNum(join(mem, 'memory.limit_in_bytes')),
    cpuUsageNs: readNum(join('/sys/fs/cgroup/cpuacct/tug', id, 'cpuacct.usage')),
    pids: readNum(join('/sys/fs/cgroup/pids/tug', id, 'pids.current')),
  };
}

/** Pids of all processes in the container's cgroup (for `top`). */
export function cgroupPids(id: string): number[] {
  const f = cgroupVersion() === 2 ? join('/sys/fs/cgroup/tug', id, 'cgroup.procs') : join('/sys/fs/cgroup/pids/tug', id, 'cgroup.procs');
  try {
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
