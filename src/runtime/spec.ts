// OCI runtime spec generation with Docker's defaults: capability set, masked
// and read-only /proc and /sys paths, a minimal /dev, device cgroup rules,
// the default seccomp profile, and the user's limits on top.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import type { OciMount, OciResources, OciSpec } from './ocispec.js';
import { defaultSeccomp, loadProfileFile, toOciSeccomp } from './seccomp.js';
import type { ContainerConfig, Ulimit } from './types.js';
import type { ResolvedUser } from './user.js';
import { cgroupVersion } from './cgroups.js';

export const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Normalises "net_admin", "CAP_NET_ADMIN" and "ALL" to CAP_ names. */
export function normaliseCap(c: string): string {
  const up = c.toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!ALL_CAPS.includes(name)) throw new TugError('INVALID_ARGUMENT', `unknown capability: "${c}"`, { hint: 'see capabilities(7) for the names' });
  return name;
}

let hostCapsCache: string[] | undefined;
/** The capabilities this process may hand out (its bounding set; ALL_CAPS is in bit order). */
export function hostCaps(): string[] {
  if (hostCapsCache) return hostCapsCache;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    const bits = BigInt(`0x${m ? m[1] : '0'}`);
    hostCapsCache = ALL_CAPS.filter((_c, i) => (bits >> BigInt(i)) & 1n);
  } catch {
    hostCapsCache = [...ALL_CAPS];
  }
  return hostCapsCache;
}

export function effectiveCaps(cfg: Pick<ContainerConfig, 'capAdd' | 'capDrop' | 'privileged'>): string[] {
  // "all" means all the caller has (docker: all the daemon has); asking for more fails in capset
  if (cfg.privileged) return hostCaps();
  const add = cfg.capAdd.map(normaliseCap);
  const drop = cfg.capDrop.map(normaliseCap);
  let caps = add.includes('ALL') ? hostCaps() : [...DEFAULT_CAPS, ...add.filter((c) => !DEFAULT_CAPS.includes(c))];
  if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drop.includes(c));
  return [...new Set(caps)];
}

// Docker's default device cgroup allow list.
const DEFAULT_DEVICE_RULES: OciResources['devices'] = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // pts
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // tun
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
];

const RLIMIT_NAMES: Record<string, string> = {
  core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
  as: 'RLIMIT_AS',
};
export const ulimitNames = Object.keys(RLIMIT_NAMES);

export interface HostLimits {
  nofileHard: number;
  nprocHard: number;
}

export interface SpecInput {
  id: string;
  cfg: ContainerConfig;
  rootfs: string;
  args: string[];
  env: string[];
  user: ResolvedUser;
  /** Bind mounts the engine adds: /etc/hosts, /etc/hostname, /etc/resolv.conf, volumes, init. */
  extraMounts: OciMount[];
  /** Path of a network namespace to join; undefined with host networking means the host's. */
  netnsPath?: string;
  consoleSize?: { height: number; width: number };
  hostLimits: HostLimits;
}

function rlimits(ulimits: Ulimit[], host: HostLimits): Array<{ type: string; hard: number; soft: number }> {
  // Default: the caller's hard nofile limit (raising it needs CAP_SYS_RESOURCE, which we may not have).
  const out = new Map<string, { type: string; hard: number; soft: number }>();
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', hard: host.nofileHard, soft: host.nofileHard });
  for (const u of ulimits) {
    const type = RLIMIT_NAMES[u.name];
    out.set(type, { type, hard: u.hard, soft: u.soft });
  }
  return [...out.values()];
}

export function generateSpec(inp: SpecInput): OciSpec {
  const { cfg } = inp;
  const caps = effectiveCaps(cfg);
  const v2 = cgroupVersion() === 2;
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', cfg.privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', cfg.privileged ? 'rw' : 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${cfg.shmSize}`] },
    ...inp.extraMounts,
  ];
  const namespaces: OciSpec['linux']['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (cfg.network !== 'host') namespaces.push(inp.netnsPath ? { type: 'network', path: inp.netnsPath } : { type: 'network' });
  if (v2) namespaces.push({ type: 'cgroup' });

  const resources: OciResources = { devices: cfg.privileged ? [{ allow: true, access: 'rwm' }] : [...(DEFAULT_DEVICE_RULES ?? [])] };
  const r = cfg.resources;
  if (r.memory) {
    resources.memory = { limit: r.memory };
    // docker: swap defaults to twice the memory; v1 needs swap accounting for it, which we check.
    const swap = r.memorySwap ?? r.memory * 2;
    if (swapAccounting()) resources.memory.swap = swap;
  }
  if (r.nanoCpus) resources.cpu = { ...resources.cpu, period: 100000, quota: Math.round((r.nanoCpus / 1e9) * 100000) };
  if (r.cpuShares) resources.cpu = { ...resources.cpu, shares: r.cpuShares };
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) resources.pids = { limit: r.pidsLimit };

  const devices: NonNullable<OciSpec['linux']['devices']> = [];
  for (const d of cfg.devices) {
    devices.push(deviceNode(d.host, d.container));
    const dev = devices[devices.length - 1];
    resources.devices!.push({ allow: true, type: dev.type, major: dev.major, minor: dev.minor, access: d.perms });
  }

  let seccomp;
  if (!cfg.privileged && cfg.seccomp !== 'unconfined') {
    seccomp = cfg.seccomp ? toOciSeccomp(loadProfileFile(cfg.seccomp), caps) : defaultSeccomp(caps);
  }

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: cfg.tty,
      ...(cfg.tty && inp.consoleSize ? { consoleSize: inp.consoleSize } : {}),
      user: { uid: inp.user.uid, gid: inp.user.gid, additionalGids: inp.user.additionalGids },
      args: inp.args,
      env: inp.env,
      cwd: cfg.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(cfg.ulimits, inp.hostLimits),
      noNewPrivileges: cfg.noNewPrivileges,
      oomScoreAdj: 0,
    },
    root: { path: inp.rootfs, readonly: cfg.readOnly },
    hostname: cfg.network === 'host' ? undefined : cfg.hostname,
    mounts,
    linux: {
      namespaces,
      resources,
      cgroupsPath: `/tug/${inp.id}`,
      devices,
      maskedPaths: cfg.privileged ? [] : MASKED_PATHS,
      readonlyPaths: cfg.privileged ? [] : READONLY_PATHS,
      ...(seccomp ? { seccomp } : {}),
    },
    annotations: { 'io.tug.container.id': inp.id },
  };
  if (cfg.network === 'host') delete spec.hostname;
  return spec;
}

function swapAccounting(): boolean {
  if (cgroupVersion() === 2) return true;
  return existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
}

function deviceNode(host: string, container: string): { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number } {
  // fs.statSync gives rdev; major/minor per Linux's encoding.
  let st;
  try {
    st = statDevice(host);
  } catch {
    throw new TugError('INVALID_ARGUMENT', `error gathering device information while adding custom device "${host}": no such file or directory`, { hint: 'give a device node that exists on the host, e.g. /dev/fuse' });
  }
  return { path: container, ...st };
}

function statDevice(p: string): { type: string; major: number; minor: number; fileMode: number; uid: number; gid: number } {
  const st = statSync(p);
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw new Error('not a device');
  const rdev = st.rdev;
  const major = ((rdev >> 8) & 0xfff) | Math.floor(rdev / 2 ** 32) & ~0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o777, uid: 0, gid: 0 };
}
