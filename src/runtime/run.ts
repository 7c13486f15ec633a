// `tug run` and `tug start -a`: the foreground part (attach, signal proxy,
// exit code, --rm) around createContainer/startContainer.
import { existsSync, writeFileSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import { parseDetachKeys, type AttachIo } from './attach.js';
import { createContainer, type CreateRequest } from './create.js';
import { waitExitFile } from './lifecycle.js';
import { ContainerService } from './service.js';
import { startContainer } from './start.js';
import type { ContainerRecord } from './types.js';
import { trace } from './trace.js';

export interface CliIo {
  root: string;
  runRoot: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface RunFlags {
  detach: boolean;
  sigProxy: boolean;
  detachKeys?: string;
  cidfile?: string;
}

const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function detachKeysOf(spec: string | undefined): Buffer {
  try {
    return parseDetachKeys(spec ?? 'ctrl-p,ctrl-q');
  } catch (e) {
    throw new TugError('INVALID_ARGUMENT', (e as Error).message, { hint: 'e.g. --detach-keys ctrl-p,ctrl-q' });
  }
}

/** Attaches the CLI's stdio to a starting container, then waits for its exit code. */
export async function startAttached(svc: ContainerService, rec: ContainerRecord, io: CliIo, f: { sigProxy: boolean; detachKeys?: string; stdin: boolean }): Promise<number> {
  const tty = rec.config.tty;
  const attachIo: AttachIo = {
    stdout: io.stdout,
    stderr: io.stderr,
    stdin: f.stdin ? io.stdin : undefined,
    tty: tty ? { ctlPath: `${svc.p.runRoot}/ctr/${rec.id}/ctl`, out: io.stdout, in: io.stdin } : undefined,
    detachKeys: f.stdin ? detachKeysOf(f.detachKeys) : Buffer.alloc(0),
  };
  const consoleSize = tty && io.stdout.isTTY ? { height: io.stdout.rows, width: io.stdout.columns } : undefined;
  const started = await startContainer(svc, rec, { attach: attachIo, consoleSize, foregroundPid: process.pid });
  const rt = svc.runtime(rec.config.runtime);
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (f.sigProxy && !tty) {
    for (const sig of PROXIED) {
      const h = (): void => {
        try {
          rt.kill(rec.id, sig.slice(3));
        } catch { /* exited */ }
      };
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  }
  const how = await started.attached!;
  trace('attach ended');
  for (const [sig, h] of handlers) process.off(sig, h);
  if (how === 'detached') {
    // Leave it running; the exit command handles --rm later.
    svc.store.updateState(rec.id, (s) => {
      s.foregroundPid = 0;
    });
    return 0;
  }
  await waitExitFile(svc, rec.id, 30_000);
  trace('exit file seen');
  const cur = svc.store.get(rec.id);
  if (!cur) return 0;
  const done = await svc.refresh(cur);
  const code = done.state.exitCode;
  if (done.config.autoRemove && (done.state.status === 'exited' || done.state.status === 'dead')) {
    if (svc.store.get(rec.id)) await svc.remove(done, true);
  } else {
    svc.store.updateState(rec.id, (s) => {
      s.foregroundPid = 0;
    });
  }
  trace('done');
  return code;
}

export async function runContainer(io: CliIo, req: CreateRequest, f: RunFlags): Promise<number> {
  if (f.detach && req.autoRemove && req.restartPolicy.name !== 'no') {
    throw new TugError('INVALID_ARGUMENT', 'conflicting options: cannot specify both --restart and --rm', { hint: 'drop one of them' });
  }
  if (!f.detach && req.autoRemove && req.restartPolicy.name !== 'no') {
    throw new TugError('INVALID_ARGUMENT', 'conflicting options: cannot specify both --restart and --rm', { hint: 'drop one of them' });
  }
  if (f.cidfile && existsSync(f.cidfile)) {
    throw new TugError('ALREADY_EXISTS', `container ID file found, make sure the other container isn't running or delete ${f.cidfile}`, { hint: 'remove the file first' });
  }
  if (req.tty && !f.detach && !io.stdin.isTTY && req.openStdin) {
    throw new TugError('INVALID_ARGUMENT', 'the input device is not a TTY', { hint: 'drop -t, or run from a terminal' });
  }
  const svc = ContainerService.open(io.root, io.runRoot);
  trace('run: service open');
  const rec = await createContainer(svc, req);
  trace('created');
  if (f.cidfile) writeFileSync(f.cidfile, rec.id);
  try {
    if (f.detach) {
      await startContainer(svc, rec);
      trace('detached: started');
      io.stdout.write(rec.id + '\n');
      return 0;
    }
    return await startAttached(svc, rec, io, { sigProxy: f.sigProxy, detachKeys: f.detachKeys, stdin: req.openStdin });
  } catch (e) {
    // A run that never started leaves nothing behind (docker keeps it; the issue asks for no leftovers).
    const cur = svc.store.get(rec.id);
    if (cur && cur.state.status !== 'running') await svc.remove(cur, true).catch(() => {});
    throw e;
  }
}
