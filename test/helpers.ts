// Shared by the test suites: throwaway state roots, running the real `tug`
// binary as a user would, and the offline base image tarballs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = resolve(fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/?$/, ''));
export const TUG_BIN = join(PROJECT, 'bin', 'tug.js');
export const BASE_CACHE = process.env.TUG_BASE_CACHE ?? '/var/cache/tug';
export const BUSYBOX_TAR = join(BASE_CACHE, 'busybox-rootfs.tar');
export const BOOKWORM_TAR = join(BASE_CACHE, 'bookworm-rootfs.tar');
export const SHARED = resolve(PROJECT, '..', 'shared');
export const isRoot = process.getuid?.() === 0;

export interface TempRoot {
  root: string;
  cleanup(): void;
}

/** A fresh state root under /var/tmp (a real disk, overlay-capable). */
export function tempRoot(prefix = 'tug-test-'): TempRoot {
  const root = mkdtempSync(join(process.env.TUG_TEST_TMP ?? '/var/tmp', prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function tempDir(prefix = 'tug-tmp-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TugResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TugOptions {
  root?: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `tug ARGS` with --root and collects its output. */
export function tug(args: string[], opts: TugOptions = {}): Promise<TugResult> {
  const argv = opts.root ? ['--root', opts.root, ...args] : args;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--", TUG_BIN, ...argv], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code: code ?? (signal ? 128 + 9 : -1),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/** Like tug(), but fails the test when the exit code is not 0. */
export async function tugOk(args: string[], opts: TugOptions = {}): Promise<TugResult> {
  const r = await tug(args, opts);
  if (r.code !== 0) throw new Error(`tug ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export function haveBusybox(): boolean {
  return existsSync(BUSYBOX_TAR);
}
