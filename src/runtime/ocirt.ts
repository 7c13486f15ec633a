// The OCI runtime binary (crun by default, runc too), with tug's own --root so
// our containers stay out of podman's and docker's runtime state.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import { paths, type RuntimePaths } from './paths.js';

export const RUNTIME_BINARIES: Record<string, string[]> = {
  crun: ['/usr/bin/crun', '/usr/local/bin/crun'],
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
};

export function runtimeBinary(name: string): string {
  const found = (RUNTIME_BINARIES[name] ?? []).find((p) => existsSync(p));
  if (!found) {
    throw new TugError('INVALID_ARGUMENT', `unknown or missing OCI runtime "${name}"`, { hint: 'use --runtime crun or --runtime runc (installed from Debian packages)' });
  }
  return found;
}

export class OciRuntime {
  readonly bin: string;
  readonly stateRoot: string;

  constructor(readonly name: string, p: RuntimePaths) {
    this.bin = runtimeBinary(name);
    this.stateRoot = paths.crunRoot(p, name);
  }

  private argv(args: string[]): string[] {
    return ['--root', this.stateRoot, ...args];
  }

  /** Runs the runtime and returns stdout; throws a RUNTIME TugError with its stderr. */
  run(args: string[]): string {
    try {
      return execFileSync(this.bin, this.argv(args), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new TugError('RUNTIME', `${this.name} ${args[0]}: ${(err.stderr || err.message).trim()}`);
    }
  }

  runAsync(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.bin, this.argv(args), { encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) reject(new TugError('RUNTIME', `${this.name} ${args[0]}: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      });
    });
  }

  /** Whether the runtime keeps state for this id (cheaper than asking it to delete nothing). */
  hasState(id: string): boolean {
    return existsSync(`${this.stateRoot}/${id}`);
  }

  start(id: string): void {
    this.run(['start', id]);
  }

  kill(id: string, signal: string, all = false): void {
    this.run(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  /** Deletes the runtime's state; quiet when it is already gone. */
  delete(id: string, force = false): void {
    try {
      this.run(['delete', ...(force ? ['--force'] : []), id]);
    } catch (e) {
      const msg = (e as Error).message;
      if (!/does not exist|not exist|no such file|not found/i.test(msg)) throw e;
    }
  }

  state(id: string): { status: string; pid: number } | undefined {
    try {
      const s = JSON.parse(this.run(['state', id])) as { status: string; pid: number };
      return s;
    } catch {
      return undefined;
    }
  }

  pause(id: string): void {
    this.run(['pause', id]);
  }

  resume(id: string): void {
    this.run(['resume', id]);
  }

  update(id: string, resourcesJson: string): void {
    this.run(['update', '--resources', resourcesJson, id]);
  }
}
