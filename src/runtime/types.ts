// The container record: what the user asked for (config, fixed at create)
// and what happened since (state, updated by every tug process that looks).

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export type NetworkMode = 'none' | 'host' | 'private' | { bridge: string };

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume; empty for a new anonymous one), unused for tmpfs. */
  source: string;
  destination: string;
  readOnly: boolean;
  /** tmpfs options such as size=64m,mode=1777, or bind propagation. */
  options: string[];
  /** Set for volumes created for this container (anonymous), removed by `rm -v`. */
  anonymous?: boolean;
}

export interface Healthcheck {
  test: string[]; // ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"]
  intervalNs: number;
  timeoutNs: number;
  startPeriodNs: number;
  retries: number;
}

export interface Resources {
  memory?: number; // bytes
  memorySwap?: number; // bytes, memory+swap; -1 = unlimited
  nanoCpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

export interface Ulimit {
  name: string; // nofile, nproc, ...
  soft: number;
  hard: number;
}

export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  maximumRetryCount: number;
}

export interface ContainerConfig {
  image: string; // as the user wrote it
  imageId: string; // "sha256:…", or "" for --rootfs
  /** A rootfs directory used as is (podman's --rootfs) instead of an image snapshot. */
  rootfsDir?: string;
  /** Snapshot key when the rootfs comes from an image. */
  snapshotKey?: string;
  /** The init layer under the container's snapshot (engine mount points). */
  initLayer?: string;
  entrypoint: string[];
  cmd: string[];
  env: string[];
  workingDir: string;
  user: string;
  tty: boolean;
  openStdin: boolean;
  hostname: string;
  labels: Record<string, string>;
  mounts: MountSpec[];
  readOnly: boolean;
  network: NetworkMode;
  restartPolicy: RestartPolicy;
  autoRemove: boolean;
  resources: Resources;
  ulimits: Ulimit[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  /** undefined: the default profile; "unconfined"; or a path to a profile JSON. */
  seccomp?: string;
  init: boolean;
  stopSignal: string;
  stopTimeout: number; // seconds
  healthcheck?: Healthcheck;
  devices: Array<{ host: string; container: string; perms: string }>;
  shmSize: number; // bytes
  groupAdd: string[];
  logMaxSize?: number; // bytes, from --log-opt max-size
  logMaxFile?: number;
  /** Networking beyond the mode: networks, ports, DNS, links (src/network/types.ts). */
  net?: import('../network/types.js').ContainerNetOptions;
  /** The image's EXPOSEd ports plus --expose, "80/tcp". */
  exposedPorts?: string[];
  runtime: 'crun' | 'runc';
}

export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy';
  failingStreak: number;
  log: Array<{ start: string; end: string; exitCode: number; output: string }>;
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  conmonPid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  startedAt: string; // RFC 3339, "" if never
  finishedAt: string;
  restartCount: number;
  /** Set by `stop`/`kill` so restart policies (except always) leave it down. */
  stoppedByUser: boolean;
  /** Pid of a foreground `tug run` that will do --rm itself (the exit command then leaves it alone). */
  foregroundPid: number;
  health?: HealthState;
  /** Bumped at every start, so an old conmon's exit command cannot clean up a newer run. */
  generation: number;
  /** Set while a start holds resources (mount, network, runtime state); cleared once released. */
  held?: boolean;
  /** The tug process doing a start (status "restarting" until it is done). */
  starterPid?: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  config: ContainerConfig;
  state: ContainerState;
}
