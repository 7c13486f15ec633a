// docker attach: join a running container's stdio over conmon's attach socket.
import { TugError } from '../util/errors.js';
import { attach } from './attach.js';
import { waitExitFile } from './lifecycle.js';
import { paths } from './paths.js';
import { detachKeysOf, type CliIo } from './run.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './types.js';

export async function attachRunning(svc: ContainerService, rec: ContainerRecord, io: Pick<CliIo, 'stdout' | 'stderr' | 'stdin'>, f: { detachKeys?: string; stdin: boolean; sigProxy: boolean }): Promise<number> {
  if (rec.state.status === 'paused') throw new TugError('CONFLICT', 'You cannot attach to a paused container, unpause it first', { hint: `tug unpause ${rec.name}` });
  if (rec.state.status !== 'running') throw new TugError('CONFLICT', 'You cannot attach to a stopped container, start it first', { hint: `tug start -a ${rec.name}` });
  const withStdin = f.stdin && rec.config.openStdin;
  const tty = rec.config.tty;
  const { done } = await attach(paths.attachSocket(svc.p, rec.id), {
    stdout: io.stdout, stderr: io.stderr, stdin: withStdin ? io.stdin : undefined,
    tty: tty ? { ctlPath: `${paths.bundle(svc.p, rec.id)}/ctl`, out: io.stdout, in: io.stdin } : undefined,
    detachKeys: withStdin ? detachKeysOf(f.detachKeys) : Buffer.alloc(0),
  });
  if (tty && io.stdout.isTTY) {
    const { resize } = await import('./attach.js');
    resize(`${paths.bundle(svc.p, rec.id)}/ctl`, io.stdout.rows, io.stdout.columns);
  }
  const rt = svc.runtime(rec.config.runtime);
  const handlers: Array<[NodeJS.Signals, () => void]> = [];
  if (f.sigProxy && !tty) {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as NodeJS.Signals[]) {
      const h = (): void => {
        try {
          rt.kill(rec.id, sig.slice(3));
        } catch { /* exited */ }
      };
      process.on(sig, h);
      handlers.push([sig, h]);
    }
  }
  const how = await done;
  for (const [s, h] of handlers) process.off(s, h);
  if (how === 'detached') {
    io.stderr.write('read escape sequence\n');
    return 0;
  }
  await waitExitFile(svc, rec.id, 30_000);
  const cur = svc.store.get(rec.id);
  return cur ? (await svc.refresh(cur)).state.exitCode : 0;
}
