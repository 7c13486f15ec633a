// `tug exec`: a process in a running container, through conmon (§1.8 of the
// notes: own exec dir and exit dir, two start-pipe writes when attached).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';
import { attach, type AttachIo } from './attach.js';
import { conmonExec } from './conmon.js';
import { containerRootfs } from './create.js';
import type { OciSpec } from './ocispec.js';
import { paths } from './paths.js';
import type { ContainerService } from './service.js';
import { hostCaps } from './spec.js';
import type { ContainerRecord } from './types.js';
import { resolveUser } from './user.js';

export interface ExecOptions {
  cmd: string[];
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  user?: string;
  workdir?: string;
  env: string[];
  privileged: boolean;
  detachKeys?: Buffer;
}

/** The container's process spec with the exec's overrides (also used by healthchecks). */
export function execProcessSpec(svc: ContainerService, rec: ContainerRecord, o: Omit<ExecOptions, 'detach' | 'interactive' | 'detachKeys'>, consoleSize?: { height: number; width: number }): OciSpec['process'] {
  let spec: OciSpec;
  try {
    spec = JSON.parse(readFileSync(join(paths.bundle(svc.p, rec.id), 'config.json'), 'utf8')) as OciSpec;
  } catch {
    throw svc.notRunning(rec);
  }
  const proc = { ...spec.process, args: o.cmd, terminal: o.tty };
  if (o.tty && consoleSize) proc.consoleSize = consoleSize;
  else delete proc.consoleSize;
  if (o.user) {
    const u = resolveUser(containerRootfs(svc, rec), o.user, []);
    proc.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  if (o.workdir) proc.cwd = o.workdir;
  const env = [...proc.env];
  for (const e of o.env) {
    const k = e.split('=')[0];
    const i = env.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  if (o.tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  proc.env = env;
  if (o.privileged) proc.capabilities = { bounding: hostCaps(), effective: hostCaps(), permitted: hostCaps() };
  return proc;
}

export async function execInContainer(svc: ContainerService, rec: ContainerRecord, o: ExecOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; stdin: NodeJS.ReadStream }): Promise<number> {
  if (rec.state.status === 'paused') throw new TugError('CONFLICT', `container ${rec.id} is paused, unpause the container before exec`, { hint: `tug unpause ${rec.name}` });
  if (rec.state.status !== 'running') throw new TugError('CONFLICT', `container ${rec.id} is not running`, { hint: `start it first: tug start ${rec.name}` });
  const execId = randomBytes(16).toString('hex');
  const dir = paths.execDir(svc.p, rec.id, execId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const consoleSize = o.tty && io.stdout.isTTY ? { height: io.stdout.rows, width: io.stdout.columns } : undefined;
  const proc = execProcessSpec(svc, rec, o, consoleSize);
  writeFileSync(join(dir, 'process.json'), JSON.stringify(proc));
  const rt = svc.runtime(rec.config.runtime);
  const attached = !o.detach;
  const session = conmonExec({
    id: rec.id, uuid: execId, name: rec.name, runtimeBin: rt.bin, runtimeRoot: rt.stateRoot, persistDir: dir, exitDir: dir,
    logPath: join(dir, 'exec.log'), socketDir: paths.socketDir(svc.p), tty: o.tty, stdin: o.interactive && attached,
    execDir: dir, processSpecPath: join(dir, 'process.json'), attach: attached, tmpDir: paths.tmp(svc.p),
  }, rec.config.runtime);
  const cleanup = (): void => {
    rmSync(join(paths.socketDir(svc.p), execId), { force: true });
    if (attached) rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!attached) {
      await session.started;
      return 0;
    }
    await session.attachReady;
    const attachIo: AttachIo = {
      stdout: io.stdout, stderr: io.stderr, stdin: o.interactive ? io.stdin : undefined,
      tty: o.tty ? { ctlPath: join(dir, 'ctl'), out: io.stdout, in: io.stdin } : undefined,
      detachKeys: o.interactive ? o.detachKeys : undefined,
    };
    const { done } = await attach(join(paths.socketDir(svc.p), execId, 'attach'), attachIo);
    session.release();
    await session.started;
    const how = await done;
    if (how === 'detached') return 0;
    return await session.exited;
  } finally {
    cleanup();
  }
}
