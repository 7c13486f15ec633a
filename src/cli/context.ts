// What every command gets: where state lives and where to print.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export const DEFAULT_ROOT = '/var/lib/tug';
export const DEFAULT_RUN_ROOT = '/run/tug';

export interface CliContext {
  /** State root (images, blobs, metadata). */
  root: string;
  /** Runtime state on tmpfs (conmon sockets, crun state, exit files). */
  runRoot: string;
  logLevel: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

/** A non-default root gets its own run root, so throwaway roots never share runtime state. */
export function runRootFor(root: string, env: NodeJS.ProcessEnv): string {
  if (env.TUG_RUNROOT) return resolve(env.TUG_RUNROOT);
  if (root === DEFAULT_ROOT) return DEFAULT_RUN_ROOT;
  return `${DEFAULT_RUN_ROOT}/${createHash('sha256').update(root).digest('hex').slice(0, 12)}`;
}
