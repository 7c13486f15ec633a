// How containers look to users: docker's `ps` columns and `inspect` JSON.
import type { ContainerRecord } from './types.js';

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 1) return 'Less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (s < 3600) return m === 1 ? 'About a minute' : `${m} minutes`;
  const h = Math.round(s / 3600);
  if (s < 48 * 3600) return h === 1 ? 'About an hour' : `${h} hours`;
  const d = Math.round(s / 86400);
  if (d < 14) return `${d} days`;
  if (d < 60) return `${Math.round(d / 7)} weeks`;
  if (d < 730) return `${Math.round(d / 30)} months`;
  return `${Math.round(d / 365)} years`;
}

/** docker's STATUS column: "Up 5 seconds (healthy)", "Exited (0) 2 minutes ago", "Created". */
export function statusText(r: ContainerRecord): string {
  const s = r.state;
  switch (s.status) {
    case 'running':
    case 'paused': {
      const h = s.health && s.status !== 'paused' ? ` (${s.health.status === 'starting' ? 'health: starting' : s.health.status})` : '';
      return `Up ${ago(s.startedAt)}${s.status === 'paused' ? ' (Paused)' : ''}${h}`;
    }
    case 'restarting':
      return `Restarting (${s.exitCode}) ${ago(s.finishedAt || r.created)} ago`;
    case 'exited':
      return `Exited (${s.exitCode}) ${ago(s.finishedAt)} ago`;
    case 'created':
      return 'Created';
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Dead';
  }
}

export function commandText(r: ContainerRecord): string {
  return [...r.config.entrypoint, ...r.config.cmd].join(' ');
}

const secsToNs = (n: number): number => n;

/** docker's container inspect shape (the fields tools read). */
export function inspectJson(r: ContainerRecord, extra: { logPath: string; rootfs: string; resolvConf: string; hostsPath: string; hostnamePath: string; mountSource: (name: string) => string; network?: Record<string, unknown> }): Record<string, unknown> {
  const c = r.config;
  const s = r.state;
  const zero = '0001-01-01T00:00:00Z';
  return {
    Id: r.id,
    Created: r.created,
    Path: [...c.entrypoint, ...c.cmd][0] ?? '',
    Args: [...c.entrypoint, ...c.cmd].slice(1),
    State: {
      Status: s.status,
      Running: s.status === 'running' || s.status === 'paused',
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.oomKilled,
      Dead: s.status === 'dead',
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt || zero,
      FinishedAt: s.finishedAt || zero,
      ...(s.health ? { Health: { Status: s.health.status, FailingStreak: s.health.failingStreak, Log: s.health.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) } } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: extra.resolvConf,
    HostnamePath: extra.hostnamePath,
    HostsPath: extra.hostsPath,
    LogPath: extra.logPath,
    Name: `/${r.name}`,
    RestartCount: s.restartCount,
    Driver: c.rootfsDir ? 'rootfs' : 'overlay',
    Platform: 'linux',
    HostConfig: {
      Binds: c.mounts.filter((m) => m.type === 'bind').map((m) => `${m.source}:${m.destination}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: typeof c.network === 'string' ? (c.network === 'private' ? 'none' : c.network) : c.network.bridge,
      RestartPolicy: { Name: c.restartPolicy.name, MaximumRetryCount: c.restartPolicy.maximumRetryCount },
      AutoRemove: c.autoRemove,
      CapAdd: c.capAdd.length ? c.capAdd : null,
      CapDrop: c.capDrop.length ? c.capDrop : null,
      Privileged: c.privileged,
      ReadonlyRootfs: c.readOnly,
      SecurityOpt: [...(c.noNewPrivileges ? ['no-new-privileges'] : []), ...(c.seccomp ? [`seccomp=${c.seccomp}`] : [])],
      Tmpfs: Object.fromEntries(c.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.destination, m.options.join(',')])),
      ShmSize: c.shmSize,
      Runtime: c.runtime,
      Memory: c.resources.memory ?? 0,
      MemorySwap: c.resources.memorySwap ?? (c.resources.memory ? c.resources.memory * 2 : 0),
      NanoCpus: c.resources.nanoCpus ?? 0,
      CpuShares: c.resources.cpuShares ?? 0,
      PidsLimit: c.resources.pidsLimit ?? null,
      Ulimits: c.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      Devices: c.devices.map((d) => ({ PathOnHost: d.host, PathInContainer: d.container, CgroupPermissions: d.perms })),
      GroupAdd: c.groupAdd.length ? c.groupAdd : null,
      Init: c.init,
      LogConfig: { Type: 'k8s-file', Config: { ...(c.logMaxSize ? { 'max-size': String(c.logMaxSize) } : {}), ...(c.logMaxFile ? { 'max-file': String(c.logMaxFile) } : {}) } },
    },
    GraphDriver: { Name: c.rootfsDir ? 'rootfs' : 'overlay', Data: { MergedDir: extra.rootfs } },
    Mounts: c.mounts.map((m) => ({
      Type: m.type,
      ...(m.type === 'volume' ? { Name: m.source } : {}),
      Source: m.type === 'volume' ? extra.mountSource(m.source) : m.type === 'bind' ? m.source : '',
      Destination: m.destination,
      Driver: m.type === 'volume' ? 'local' : undefined,
      Mode: m.readOnly ? 'ro' : '',
      RW: !m.readOnly,
      Propagation: m.type === 'bind' ? 'rprivate' : '',
    })),
    Config: {
      Hostname: c.hostname,
      User: c.user,
      AttachStdin: false,
      Tty: c.tty,
      OpenStdin: c.openStdin,
      Env: c.env,
      Cmd: c.cmd,
      Image: c.image || c.rootfsDir,
      Volumes: null,
      WorkingDir: c.workingDir,
      Entrypoint: c.entrypoint.length ? c.entrypoint : null,
      Labels: c.labels,
      StopSignal: c.stopSignal,
      StopTimeout: c.stopTimeout,
      ...(c.healthcheck ? { Healthcheck: { Test: c.healthcheck.test, Interval: secsToNs(c.healthcheck.intervalNs), Timeout: c.healthcheck.timeoutNs, StartPeriod: c.healthcheck.startPeriodNs, Retries: c.healthcheck.retries } } : {}),
    },
    NetworkSettings: extra.network ?? { Networks: typeof c.network === 'string' ? { [c.network === 'private' ? 'none' : c.network]: {} } : { [c.network.bridge]: {} } },
  };
}
