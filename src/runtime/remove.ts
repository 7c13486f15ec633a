// docker rm [-f] [-v]
import { TugError } from '../util/errors.js';
import { waitExitFile } from './lifecycle.js';
import type { ContainerService } from './service.js';

export async function removeContainer(svc: ContainerService, ref: string, force: boolean, volumes: boolean): Promise<void> {
  const rec = await svc.get(ref);
  const st = rec.state.status;
  if (st === 'running' || st === 'paused' || st === 'restarting') {
    if (!force) {
      throw new TugError('CONFLICT', `You cannot remove a ${st} container ${rec.id}. Stop the container before attempting removal or force remove`, { hint: `tug stop ${rec.name}, or tug rm -f ${rec.name}` });
    }
    svc.store.updateState(rec.id, (s) => {
      s.stoppedByUser = true;
    });
    const rt = svc.runtime(rec.config.runtime);
    try {
      rt.kill(rec.id, 'KILL', true);
      if (st === 'paused') rt.resume(rec.id);
    } catch { /* exited */ }
    await waitExitFile(svc, rec.id, 10_000);
  }
  const fresh = svc.store.get(rec.id);
  if (!fresh) return; // the exit command removed it (--rm)
  const done = await svc.refresh(fresh);
  if (!svc.store.get(rec.id)) return;
  await svc.remove(done, volumes);
}
