// Runs one RUN step: an OCI bundle over an already mounted rootfs, executed
// with `crun run` (no conmon: the step's lifetime is the build's, as BuildKit
// runs runc directly). Output streams to the caller; mount points the runtime
// had to create in the rootfs are removed again, so they never reach a layer.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TugError } from '../../util/errors.js';
import { generateSpec } from '../../runtime/spec.js';
import { OciRuntime } from '../../runtime/ocirt.js';
import { resolveUser } from '../../runtime/user.js';
import type { OciMount } from '../../runtime/ocispec.js';
import type { ContainerConfig } from '../../runtime/types.js';

export type StepNetwork = 'default' | 'none' | 'host';

export interface ExecRequest {
  root: string;
  runRoot: string;
  rootfs: string; // mounted, writable
  args: string[];
  env: string[];
  user: string;
  cwd: string;
  network: StepNetwork;
  insecure: boolean;
  mounts: OciMount[];
  onOutput(stream: 'stdout' | 'stderr', data: Buffer): void;
}

const HOSTNAME = 'buildkitsandbox';

function buildConfig(req: ExecRequest): ContainerConfig {
  return {
    image: '', imageId: '', rootfsDir: req.rootfs, entrypoint: [], cmd: req.args, env: req.env, workingDir: req.cwd,
    user: req.user, tty: false, openStdin: false, hostname: HOSTNAME, labels: {}, mounts: [], readOnly: false,
    // "default" shares the host's network so package managers reach their mirrors (documented).
    network: req.network === 'none' ? 'private' : 'host',
    restartPolicy: { name: 'no', maximumRetryCount: 0 }, autoRemove: true, resources: {}, ulimits: [], capAdd: [], capDrop: [],
    privileged: req.insecure, noNewPrivileges: false, init: false, stopSignal: 'SIGTERM', stopTimeout: 10, devices: [],
    shmSize: 64 * 1024 * 1024, groupAdd: [], runtime: 'crun',
  };
}

/** The caller's hard limit from /proc/self/limits: raising it needs CAP_SYS_RESOURCE. */
function hardLimit(label: 'Max open files' | 'Max processes'): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(label));
    const hard = line?.slice(label.length).trim().split(/\s+/)[1];
    return hard === undefined ? 1024 : hard === 'unlimited' ? 1048576 : Number(hard);
  } catch {
    return 1024;
  }
}

/** Creates mount-point stubs the runtime would otherwise create, and remembers them for removal. */
function makeStubs(rootfs: string, mounts: OciMount[]): string[] {
  const created: string[] = [];
  for (const m of mounts) {
    const target = join(rootfs, m.destination);
    if (existsSync(target)) continue;
    // create missing parents one by one, so each can be removed again
    const missing: string[] = [];
    let p = dirname(target);
    while (p.length > rootfs.length && !existsSync(p)) {
      missing.unshift(p);
      p = dirname(p);
    }
    for (const d of missing) {
      mkdirSync(d);
      created.push(d);
    }
    const isDir = m.type !== 'bind' || (m.source !== undefined && existsSync(m.source) && statSync(m.source).isDirectory());
    if (isDir) mkdirSync(target);
    else writeFileSync(target, '');
    created.push(target);
  }
  return created;
}

/** Removes stubs (deepest first) that are still empty: the step may have written there. */
function removeStubs(created: string[]): void {
  for (const p of [...created].reverse()) {
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) {
        if (readdirSync(p).length === 0) rmdirSync(p);
      } else if (st.isFile() && st.size === 0) unlinkSync(p);
    } catch {
      /* already gone */
    }
  }
}

/** Runs the step; resolves with its exit code. */
export async function execStep(req: ExecRequest): Promise<number> {
  const id = `tugbuild-${randomBytes(8).toString('hex')}`;
  const bundle = join(req.runRoot, 'build', id);
  mkdirSync(bundle, { recursive: true });
  const hostsFile = join(bundle, 'hosts');
  writeFileSync(hostsFile, `127.0.0.1\tlocalhost ${HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  const etc: OciMount[] = [
    { destination: '/etc/hosts', type: 'bind', source: hostsFile, options: ['rbind', 'ro'] },
    ...(existsSync('/etc/resolv.conf') ? [{ destination: '/etc/resolv.conf', type: 'bind', source: '/etc/resolv.conf', options: ['rbind', 'ro'] }] : []),
  ];
  const mounts = [...etc, ...req.mounts];
  const stubs = makeStubs(req.rootfs, [...mounts, { destination: '/proc', type: 'proc', source: 'proc' }, { destination: '/dev', type: 'tmpfs', source: 'tmpfs' }, { destination: '/sys', type: 'sysfs', source: 'sysfs' }]);
  const cfg = buildConfig(req);
  try {
    const user = resolveUser(req.rootfs, req.user);
    if (req.cwd && req.cwd !== '/') mkdirSync(join(req.rootfs, req.cwd), { recursive: true });
    const spec = generateSpec({
      id, cfg, rootfs: req.rootfs, args: req.args, env: req.env, user, extraMounts: mounts,
      hostLimits: { nofileHard: hardLimit('Max open files'), nprocHard: hardLimit('Max processes') },
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const rt = new OciRuntime('crun', { root: req.root, runRoot: req.runRoot });
    mkdirSync(rt.stateRoot, { recursive: true });
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(rt.bin, ['--root', rt.stateRoot, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (b: Buffer) => req.onOutput('stdout', b));
      child.stderr.on('data', (b: Buffer) => req.onOutput('stderr', b));
      child.on('error', (e) => reject(new TugError('RUNTIME', `cannot start ${rt.name}: ${e.message}`)));
      child.on('close', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 15)));
    });
  } finally {
    removeStubs(stubs);
    rmSync(bundle, { recursive: true, force: true });
  }
}
