// mount(8)/umount(8) wrappers and /proc/self/mountinfo checks. Mounting is
// done by the real tools so the kernel sees exactly what `mount` would pass.
import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { TugError } from '../util/errors.js';

function run(cmd: string, args: string[], cwd?: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd }, (err, _out, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stderr: String(stderr).trim() || (err ? err.message : '') });
    });
  });
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points (as the kernel lists them) currently in this mount namespace. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescapeMountPath(l.split(' ')[4]));
}

export function isMountPoint(path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  return mountPoints().includes(real);
}

export interface MountSpec {
  type: 'overlay' | 'bind';
  source: string;
  options: string[];
  /** Directory mount(8) runs in: overlay lowerdirs are short relative link names. */
  cwd?: string;
  readonly?: boolean;
}

/** Mounts spec at target; on any failure nothing stays mounted. */
export async function mountSpec(spec: MountSpec, target: string): Promise<void> {
  if (spec.type === 'overlay') {
    const opts = spec.options.join(',');
    // mount(8) passes the options in one page: past 4096 bytes the kernel sees a cut string
    if (Buffer.byteLength(opts) > 4000) {
      throw new TugError('UNSUPPORTED', `overlay mount options are ${Buffer.byteLength(opts)} bytes, over the 4096-byte limit`, { hint: 'the image has too many layers; squash it' });
    }
    const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, target], spec.cwd);
    if (r.code !== 0) throw mountError(target, r.stderr);
    return;
  }
  const r = await run('mount', ['--bind', spec.source, target]);
  if (r.code !== 0) throw mountError(target, r.stderr);
  if (spec.readonly) {
    const ro = await run('mount', ['-o', 'remount,bind,ro', target]);
    if (ro.code !== 0) {
      await unmountPath(target);
      throw mountError(target, ro.stderr);
    }
  }
}

function mountError(target: string, stderr: string): TugError {
  const denied = process.getuid?.() !== 0;
  return new TugError(denied ? 'PERMISSION_DENIED' : 'INTERNAL', `cannot mount the snapshot on ${target}: ${stderr}`, {
    hint: denied ? 'mounting snapshots needs root' : undefined,
  });
}

/** Unmounts target (lazily when busy); a target that is not mounted is fine. */
export async function unmountPath(target: string): Promise<void> {
  for (let i = 0; i < 16 && isMountPoint(target); i++) {
    const r = await run('umount', [target]);
    if (r.code === 0) continue;
    if (/busy/i.test(r.stderr)) {
      const lazy = await run('umount', ['-l', target]);
      if (lazy.code === 0) continue;
      throw new TugError('CONFLICT', `cannot unmount ${target}: ${lazy.stderr}`);
    }
    if (!isMountPoint(target)) return;
    throw new TugError('INTERNAL', `cannot unmount ${target}: ${r.stderr}`);
  }
}
