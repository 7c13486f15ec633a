// Flags shared by `run` and `create`, and their translation into a
// CreateRequest (the runtime's input). Networking flags the runtime cannot
// honour yet are refused with "not supported yet".
import { readFileSync } from 'node:fs';
import type { FlagSpec, ParsedArgs } from '../args.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';
import type { CreateRequest } from '../../runtime/create.js';
import { networkFlags, networkRequest } from './network-run-flags.js';
import { ulimitNames } from '../../runtime/spec.js';
import type { MountSpec, RestartPolicy, Ulimit } from '../../runtime/types.js';
import { parseBytes, parseDuration } from '../../runtime/units.js';
import { availableParallelism } from 'node:os';

const s = (name: string, short?: string, description?: string): FlagSpec => ({ name, short, type: 'string', description });
const l = (name: string, short?: string, description?: string): FlagSpec => ({ name, short, type: 'list', description });
const b = (name: string, short?: string, description?: string): FlagSpec => ({ name, short, type: 'bool', description });
const no = (name: string, type: FlagSpec['type'] = 'list', short?: string): FlagSpec => ({ name, short, type, unsupported: true, description: '(networking)' });

export const createFlags: FlagSpec[] = [
  b('interactive', 'i', 'Keep STDIN open even if not attached'),
  b('tty', 't', 'Allocate a pseudo-TTY'),
  s('name', undefined, 'Assign a name to the container'),
  l('env', 'e', 'Set environment variables'),
  l('env-file', undefined, 'Read in a file of environment variables'),
  s('workdir', 'w', 'Working directory inside the container'),
  s('user', 'u', 'Username or UID (format: <name|uid>[:<group|gid>])'),
  s('entrypoint', undefined, 'Overwrite the default ENTRYPOINT of the image'),
  l('volume', 'v', 'Bind mount a volume'),
  l('mount', undefined, 'Attach a filesystem mount to the container'),
  l('tmpfs', undefined, 'Mount a tmpfs directory'),
  b('read-only', undefined, "Mount the container's root filesystem as read only"),
  s('hostname', 'h', 'Container host name'),
  s('restart', undefined, 'Restart policy to apply when a container exits (no, on-failure[:N], always, unless-stopped)'),
  b('rm', undefined, 'Automatically remove the container when it exits'),
  s('memory', 'm', 'Memory limit'),
  s('memory-swap', undefined, "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
  s('cpus', undefined, 'Number of CPUs'),
  { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
  { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  l('ulimit', undefined, 'Ulimit options'),
  l('cap-add', undefined, 'Add Linux capabilities'),
  l('cap-drop', undefined, 'Drop Linux capabilities'),
  b('privileged', undefined, 'Give extended privileges to this container'),
  l('security-opt', undefined, 'Security Options'),
  b('init', undefined, 'Run an init inside the container that forwards signals and reaps processes'),
  s('stop-signal', undefined, 'Signal to stop the container'),
  { name: 'stop-timeout', type: 'int', description: 'Timeout (in seconds) to stop a container' },
  l('label', 'l', 'Set meta data on a container'),
  s('health-cmd', undefined, 'Command to run to check health'),
  s('health-interval', undefined, 'Time between running the check (ms|s|m|h)'),
  { name: 'health-retries', type: 'int', description: 'Consecutive failures needed to report unhealthy' },
  s('health-timeout', undefined, 'Maximum time to allow one check to run (ms|s|m|h)'),
  s('health-start-period', undefined, 'Start period for the container to initialize before starting health-retries countdown'),
  b('no-healthcheck', undefined, 'Disable any container-specified HEALTHCHECK'),
  l('device', undefined, 'Add a host device to the container'),
  s('shm-size', undefined, 'Size of /dev/shm'),
  l('group-add', undefined, 'Add additional groups to join'),
  s('pull', undefined, 'Pull image before running ("always", "missing", "never")'),
  s('runtime', undefined, 'Runtime to use for this container (crun, runc)'),
  s('log-driver', undefined, 'Logging driver for the container (k8s-file; json-file is taken as k8s-file)'),
  l('log-opt', undefined, 'Log driver options (max-size, max-file)'),
  s('rootfs', undefined, 'Run a root filesystem directory instead of an image (podman)'),
  s('cidfile', undefined, 'Write the container ID to the file'),
  s('platform', undefined, 'Set platform if server is multi-platform capable'),
  ...networkFlags,
];

function parseRestart(v: string | undefined): RestartPolicy {
  if (v === undefined || v === '' || v === 'no') return { name: 'no', maximumRetryCount: 0 };
  const [name, count] = v.split(':', 2);
  if (name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw new TugError('INVALID_ARGUMENT', `invalid restart policy: maximum retry count cannot be used with restart policy '${name}'`, { hint: 'only on-failure takes a count' });
    return { name, maximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    if (count !== undefined && !/^\d+$/.test(count)) throw new TugError('INVALID_ARGUMENT', `invalid restart policy: maximum retry count must be an integer: ${count}`, { hint: 'e.g. --restart on-failure:3' });
    return { name, maximumRetryCount: count === undefined ? 0 : Number(count) };
  }
  throw new TugError('INVALID_ARGUMENT', `invalid restart policy: unknown policy '${name}'`, { hint: 'use no, on-failure[:N], always or unless-stopped' });
}

function parseUlimit(v: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m || !ulimitNames.includes(m[1])) throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--ulimit" flag: invalid ulimit`, { hint: `use NAME=SOFT[:HARD], NAME one of ${ulimitNames.join(', ')}` });
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard) throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`, { hint: 'the soft limit comes first' });
  return { name: m[1], soft, hard };
}

/** -v SRC:DST[:OPTS] | DST (anonymous volume). */
export function parseVolume(v: string): MountSpec {
  const parts = v.split(':');
  let src = '';
  let dst: string;
  let opts: string[] = [];
  if (parts.length === 1) dst = parts[0];
  else if (parts.length === 2) [src, dst] = parts;
  else if (parts.length === 3) {
    [src, dst] = parts;
    opts = parts[2].split(',');
  } else throw new TugError('INVALID_ARGUMENT', `invalid volume specification: '${v}'`, { hint: 'use -v SRC:DST[:ro] or -v DST' });
  // `-v :/x` (empty source) is refused as docker does, not taken as an anonymous volume
  if (!dst || (parts.length > 1 && !src)) throw new TugError('INVALID_ARGUMENT', `invalid volume specification: '${v}'`, { hint: 'use -v SRC:DST[:ro] or -v DST' });
  for (const o of opts) {
    if (!['ro', 'rw', 'z', 'Z', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'consistent', 'delegated', 'cached'].includes(o)) {
      throw new TugError('INVALID_ARGUMENT', `invalid mode: ${o}`, { hint: 'volume options: ro, rw, z, Z, nocopy, and mount propagation' });
    }
  }
  const readOnly = opts.includes('ro');
  const rest = opts.filter((o) => !['ro', 'rw', 'z', 'Z', 'consistent', 'delegated', 'cached'].includes(o));
  if (src === '') return { type: 'volume', source: '', destination: dst, readOnly, options: rest, anonymous: true };
  if (src.startsWith('/') || src.startsWith('.')) return { type: 'bind', source: src, destination: dst, readOnly, options: rest };
  return { type: 'volume', source: src, destination: dst, readOnly, options: rest };
}

/** --mount type=bind|volume|tmpfs,source=…,target=…,readonly,… */
export function parseMount(v: string): MountSpec {
  const kv = new Map<string, string>();
  for (const field of v.split(',')) {
    const eq = field.indexOf('=');
    kv.set(eq < 0 ? field : field.slice(0, eq), eq < 0 ? 'true' : field.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--mount" flag: unsupported mount type "${type}"`, { hint: 'types: bind, volume, tmpfs' });
  const target = kv.get('target') ?? kv.get('destination') ?? kv.get('dst');
  if (!target) throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--mount" flag: target is required`, { hint: 'add target=/path' });
  const source = kv.get('source') ?? kv.get('src') ?? '';
  const ro = kv.get('readonly') ?? kv.get('ro');
  const readOnly = ro !== undefined && ro !== 'false' && ro !== '0';
  if (type === 'bind' && !source) throw new TugError('INVALID_ARGUMENT', `invalid argument "${v}" for "--mount" flag: source is required for bind mounts`, { hint: 'add source=/host/path' });
  const options: string[] = [];
  if (type === 'tmpfs') {
    if (kv.has('tmpfs-size')) options.push(`size=${parseBytes(kv.get('tmpfs-size')!, 'mount')}`);
    options.push(`mode=${kv.get('tmpfs-mode') ?? '1777'}`);
  }
  if (kv.has('bind-propagation')) options.push(kv.get('bind-propagation')!);
  if (kv.get('volume-nocopy') === 'true') options.push('nocopy');
  return { type, source, destination: target, readOnly, options, anonymous: type === 'volume' && !source };
}

function parseTmpfs(v: string): MountSpec {
  const [dst, opts] = v.split(/:(.*)/s, 2);
  const options = opts ? opts.split(',') : ['mode=1777'];
  return { type: 'tmpfs', source: 'tmpfs', destination: dst, readOnly: options.includes('ro'), options: options.filter((o) => o !== 'ro' && o !== 'rw') };
}

function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new TugError('NOT_FOUND', `open ${path}: no such file or directory`, { hint: 'check the --env-file path' });
  }
  return text.split('\n').map((x) => x.replace(/\r$/, '')).filter((x) => x.trim() && !x.trimStart().startsWith('#'));
}

function envValue(e: string): string | undefined {
  if (e.startsWith('=')) throw new TugError('INVALID_ARGUMENT', `invalid environment variable: ${e}`, { hint: 'use -e NAME=VALUE or -e NAME' });
  if (e.includes('=')) return e;
  const v = process.env[e];
  return v === undefined ? undefined : `${e}=${v}`;
}

export function toCreateRequest(p: ParsedArgs, positionals: string[], verb: 'run' | 'create' = 'run'): CreateRequest {
  const rootfs = flag.str(p, 'rootfs');
  const [image, ...cmd] = rootfs ? ['', ...positionals] : positionals;
  // docker: a wrong argument count is a plain error, exit 1 even for run/create
  if (!rootfs && !image) throw new TugError('INVALID_ARGUMENT', `"tug ${verb}" requires at least 1 argument`, { hint: `See 'tug ${verb} --help'.`, exitCode: 1 });
  const env = [...flag.list(p, 'env-file').flatMap(readEnvFile), ...flag.list(p, 'env')].map(envValue).filter((e): e is string => e !== undefined);
  const labels: Record<string, string> = {};
  for (const lb of flag.list(p, 'label')) {
    const eq = lb.indexOf('=');
    labels[eq < 0 ? lb : lb.slice(0, eq)] = eq < 0 ? '' : lb.slice(eq + 1);
  }
  const mounts = [...flag.list(p, 'volume').map(parseVolume), ...flag.list(p, 'mount').map(parseMount), ...flag.list(p, 'tmpfs').map(parseTmpfs)];
  const mem = flag.str(p, 'memory');
  const swap = flag.str(p, 'memory-swap');
  const cpus = flag.str(p, 'cpus');
  // --cpus 0 means no limit, as in docker
  if (cpus !== undefined && (cpus.trim() === '' || !(Number(cpus) >= 0))) throw new TugError('INVALID_ARGUMENT', `invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`, { hint: 'e.g. --cpus 1.5' });
  const ncpu = availableParallelism();
  if (cpus !== undefined && Number(cpus) !== 0 && (Number(cpus) < 0.01 || Number(cpus) > ncpu)) {
    throw new TugError('INVALID_ARGUMENT', `Range of CPUs is from 0.01 to ${ncpu.toFixed(2)}, as there are only ${ncpu} CPUs available`, { hint: `give --cpus between 0.01 and ${ncpu}` });
  }
  const memory = mem !== undefined ? parseBytes(mem, 'memory') : undefined;
  if (memory !== undefined && memory < 6 * 1024 * 1024) throw new TugError('INVALID_ARGUMENT', 'Minimum memory limit allowed is 6MB', { hint: 'use --memory 6m or more' });
  const memorySwap = swap === undefined ? undefined : swap === '-1' ? -1 : parseBytes(swap, 'memory-swap');
  if (memorySwap !== undefined && memorySwap !== -1 && memory !== undefined && memorySwap < memory) throw new TugError('INVALID_ARGUMENT', 'Minimum memoryswap limit should be larger than memory limit, see usage', { hint: '--memory-swap is memory plus swap' });
  let noNewPrivileges = false;
  let seccomp: string | undefined;
  for (const so of flag.list(p, 'security-opt')) {
    const [k, v] = so.includes('=') ? [so.slice(0, so.indexOf('=')), so.slice(so.indexOf('=') + 1)] : so.split(':', 2);
    if (k === 'no-new-privileges') noNewPrivileges = v === undefined || v === 'true';
    else if (k === 'seccomp') seccomp = v;
    else if (k === 'label' || k === 'apparmor') { /* no SELinux/AppArmor on this host: accepted, as docker does when disabled */ }
    else throw new TugError('INVALID_ARGUMENT', `invalid --security-opt: ${so}`, { hint: 'supported: no-new-privileges, seccomp=unconfined|PROFILE.json' });
  }
  let logMaxSize: number | undefined;
  let logMaxFile: number | undefined;
  const driver = flag.str(p, 'log-driver');
  if (driver !== undefined && !['k8s-file', 'json-file', 'local'].includes(driver)) throw new TugError('UNSUPPORTED', `log driver "${driver}" is not supported yet`, { hint: 'tug stores logs with conmon (k8s-file)' });
  for (const lo of flag.list(p, 'log-opt')) {
    const [k, v] = [lo.slice(0, lo.indexOf('=')), lo.slice(lo.indexOf('=') + 1)];
    if (k === 'max-size') logMaxSize = parseBytes(v, 'log-opt');
    else if (k === 'max-file') {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new TugError('INVALID_ARGUMENT', `invalid value for max-file: ${v}`, { hint: 'a positive integer' });
      // conmon keeps one log file and truncates it at max-size: docker's max-file=1 behaviour
      if (Number(v) > 1) throw new TugError('UNSUPPORTED', `--log-opt max-file=${v} is not supported yet`, { hint: 'tug keeps one log file, truncated at max-size (max-file=1)' });
      logMaxFile = Number(v);
    } else throw new TugError('INVALID_ARGUMENT', `unknown log opt '${k}' for k8s-file log driver`, { hint: 'supported: max-size, max-file' });
  }
  const health: CreateRequest['health'] = {};
  if (flag.bool(p, 'no-healthcheck')) health.disable = true;
  const hc = flag.str(p, 'health-cmd');
  if (hc !== undefined) health.test = ['CMD-SHELL', hc];
  const dur = (n: string): number | undefined => (flag.str(p, n) === undefined ? undefined : parseDuration(flag.str(p, n)!, n));
  health.intervalNs = dur('health-interval');
  health.timeoutNs = dur('health-timeout');
  health.startPeriodNs = dur('health-start-period');
  health.retries = flag.int(p, 'health-retries');
  if (health.retries !== undefined && health.retries < 0) throw new TugError('INVALID_ARGUMENT', '--health-retries cannot be negative', { hint: 'e.g. --health-retries 3' });
  if (health.disable && hc !== undefined) throw new TugError('INVALID_ARGUMENT', '--no-healthcheck conflicts with --health-* options', { hint: 'give one or the other' });
  const runtime = flag.str(p, 'runtime') ?? 'crun';
  if (runtime !== 'crun' && runtime !== 'runc') throw new TugError('INVALID_ARGUMENT', `unknown or invalid runtime name: ${runtime}`, { hint: 'use --runtime crun or --runtime runc' });
  const pull = flag.str(p, 'pull');
  if (pull !== undefined && !['always', 'missing', 'never'].includes(pull)) throw new TugError('INVALID_ARGUMENT', `invalid pull option: '${pull}': must be one of "always"|"missing"|"never"`, { hint: 'e.g. --pull never' });
  const platform = flag.str(p, 'platform');
  if (platform !== undefined && !/^linux(\/amd64)?$/.test(platform)) throw new TugError('UNSUPPORTED', `platform ${platform} is not supported yet`, { hint: 'this host runs linux/amd64' });
  const ep = flag.str(p, 'entrypoint');
  const stopSignal = flag.str(p, 'stop-signal');
  const netReq = networkRequest(p);
  return {
    image,
    rootfsDir: rootfs,
    name: flag.str(p, 'name'),
    cmd,
    entrypoint: ep === undefined ? undefined : ep === '' ? [] : [ep],
    env,
    workingDir: flag.str(p, 'workdir'),
    user: flag.str(p, 'user'),
    tty: flag.bool(p, 'tty'),
    openStdin: flag.bool(p, 'interactive'),
    hostname: flag.str(p, 'hostname'),
    labels,
    mounts,
    readOnly: flag.bool(p, 'read-only'),
    network: netReq.network,
    net: netReq.net,
    exposedPorts: netReq.expose,
    restartPolicy: parseRestart(flag.str(p, 'restart')),
    autoRemove: flag.bool(p, 'rm'),
    resources: { memory, memorySwap, nanoCpus: cpus === undefined || Number(cpus) === 0 ? undefined : Math.round(Number(cpus) * 1e9), cpuShares: flag.int(p, 'cpu-shares'), pidsLimit: flag.int(p, 'pids-limit') },
    ulimits: flag.list(p, 'ulimit').map(parseUlimit),
    capAdd: flag.list(p, 'cap-add'),
    capDrop: flag.list(p, 'cap-drop'),
    privileged: flag.bool(p, 'privileged'),
    noNewPrivileges,
    seccomp,
    init: flag.bool(p, 'init'),
    stopSignal,
    stopTimeout: flag.int(p, 'stop-timeout'),
    health,
    devices: flag.list(p, 'device').map((d) => {
      const [host, ctr, perms] = d.split(':');
      return { host, container: ctr || host, perms: perms || 'rwm' };
    }),
    shmSize: flag.str(p, 'shm-size') === undefined ? 64 * 1024 * 1024 : parseBytes(flag.str(p, 'shm-size')!, 'shm-size'),
    groupAdd: flag.list(p, 'group-add'),
    logMaxSize,
    logMaxFile,
    runtime,
    pull: pull as CreateRequest['pull'],
  };
}
