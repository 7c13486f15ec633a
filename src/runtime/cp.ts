// docker cp, both directions, on the container's rootfs (mounted for the
// copy when the container is stopped). Paths inside the container are
// resolved with its root as "/", so symlinks cannot lead out of it.
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { TugError } from '../util/errors.js';
import { withRootfs } from './changes.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './types.js';

/** Resolves a container path to a host path under rootfs, following symlinks inside the container (the last one too if followLast). */
export function resolveInRoot(rootfs: string, ctrPath: string, followLast: boolean): string {
  const parts = posix.normalize('/' + ctrPath).split('/').filter(Boolean);
  let cur: string[] = [];
  for (let hops = 0, i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part === '..') {
      cur.pop();
      continue;
    }
    const host = join(rootfs, ...cur, part);
    const last = i === parts.length - 1;
    let st;
    try {
      st = lstatSync(host);
    } catch {
      cur.push(part);
      continue;
    }
    if (st.isSymbolicLink() && (!last || followLast)) {
      if (++hops > 40) throw new TugError('INVALID_ARGUMENT', `too many levels of symbolic links: ${ctrPath}`);
      const target = readlinkSync(host);
      const rest = parts.slice(i + 1);
      const base = target.startsWith('/') ? [] : cur;
      const again = posix.normalize('/' + [...base, target].join('/')).split('/').filter(Boolean);
      parts.splice(0, parts.length, ...again, ...rest);
      cur = [];
      i = -1;
      continue;
    }
    cur.push(part);
  }
  return join(rootfs, ...cur);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, _o, stderr) => (err ? reject(new TugError('INTERNAL', `${cmd} failed: ${String(stderr).trim() || err.message}`)) : resolve()));
  });
}

/** Container → host (or a tar stream on stdout when dest is "-"). */
export async function copyFromContainer(svc: ContainerService, rec: ContainerRecord, ctrPath: string, dest: string, archive: boolean, stdout: NodeJS.WritableStream): Promise<void> {
  await withRootfs(svc, rec, async (rootfs) => {
    const src = resolveInRoot(rootfs, ctrPath, !ctrPath.endsWith('/.') && ctrPath.endsWith('/') === false ? false : true);
    if (!existsSync(src) && !isLink(src)) throw new TugError('NOT_FOUND', `Could not find the file ${ctrPath} in container ${rec.name}`, { hint: 'check the path inside the container' });
    if (dest === '-') {
      await new Promise<void>((resolve, reject) => {
        const tar = spawn('tar', ['-C', dirname(src), '--numeric-owner', '-cf', '-', basename(src)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        tar.stderr.on('data', (b: Buffer) => (err += b));
        tar.stdout.pipe(stdout, { end: false });
        tar.on('close', (c) => (c === 0 ? resolve() : reject(new TugError('INTERNAL', `tar failed: ${err.trim()}`))));
      });
      return;
    }
    const contentOnly = ctrPath.endsWith('/.');
    let target = dest;
    if (existsSync(dest) && statSync(dest).isDirectory() && !contentOnly) target = join(dest, basename(src));
    else if (!existsSync(dirname(dest))) throw new TugError('NOT_FOUND', `destination directory ${dirname(dest)} does not exist`, { hint: 'create it first' });
    const flags = archive ? ['-a'] : ['-R', '--preserve=mode,timestamps,links', '--no-dereference'];
    if (contentOnly) await run('cp', [...flags, '-T', src, dest]);
    else await run('cp', [...flags, '-T', src, target]);
  });
}

/** Host (or a tar stream from stdin when src is "-") → container. */
export async function copyToContainer(svc: ContainerService, rec: ContainerRecord, src: string, ctrPath: string, archive: boolean, stdin: NodeJS.ReadableStream): Promise<void> {
  if (rec.config.readOnly && rec.state.status === 'running') throw new TugError('CONFLICT', 'container rootfs is marked read-only', { hint: 'copy into a mounted volume, or run without --read-only' });
  await withRootfs(svc, rec, async (rootfs) => {
    const dst = resolveInRoot(rootfs, ctrPath, true);
    if (src === '-') {
      if (!existsSync(dst) || !statSync(dst).isDirectory()) throw new TugError('INVALID_ARGUMENT', `destination "${ctrPath}" must be a directory`, { hint: 'a tar stream is extracted into a directory' });
      await new Promise<void>((resolve, reject) => {
        const tar = spawn('tar', ['-C', dst, '-xf', '-', ...(archive ? ['--same-owner'] : ['--no-same-owner']), '--no-overwrite-dir'], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        tar.stderr.on('data', (b: Buffer) => (err += b));
        stdin.pipe(tar.stdin);
        tar.on('close', (c) => (c === 0 ? resolve() : reject(new TugError('INVALID_ARCHIVE', `extracting the tar stream failed: ${err.trim()}`, { hint: 'give a tar archive on stdin' }))));
      });
      return;
    }
    if (!existsSync(src)) throw new TugError('NOT_FOUND', `could not find the file ${src} on the host`, { hint: 'check the source path' });
    const contentOnly = src.endsWith('/.');
    let target = dst;
    if (existsSync(dst) && statSync(dst).isDirectory() && !contentOnly) target = join(dst, basename(src));
    else if (!existsSync(dirname(dst))) throw new TugError('NOT_FOUND', `no such directory: ${dirname(ctrPath)}`, { hint: 'create the parent directory in the container first' });
    const flags = archive ? ['-a'] : ['-R', '--preserve=mode,timestamps,links', '--no-dereference'];
    await run('cp', [...flags, '-T', src, contentOnly ? dst : target]);
    // docker: without -a, what is copied in belongs to root
    if (!archive) await run('chown', ['-R', '--no-dereference', '0:0', contentOnly ? dst : target]);
  });
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
