// `inspect` for containers: records → docker's JSON shape.
import { join } from 'node:path';
import { containerRootfs } from './create.js';
import { paths } from './paths.js';
import { inspectJson } from './present.js';
import { networkSettingsJson } from '../network/present.js';
import { ContainerService } from './service.js';

export async function inspectContainers(root: string, runRoot: string, refs: string[]): Promise<{ results: Array<Record<string, unknown>>; errors: string[] }> {
  const svc = ContainerService.open(root, runRoot);
  const results: Array<Record<string, unknown>> = [];
  const errors: string[] = [];
  for (const ref of refs) {
    const rec = svc.store.find(ref);
    if (!rec) {
      errors.push(`No such container: ${ref}`);
      continue;
    }
    const r = await svc.refresh(rec);
    const dir = paths.ctrDir(svc.p, r.id);
    results.push(inspectJson(r, {
      logPath: paths.logFile(svc.p, r.id), rootfs: containerRootfs(svc, r),
      resolvConf: join(dir, 'resolv.conf'), hostsPath: join(dir, 'hosts'), hostnamePath: join(dir, 'hostname'),
      mountSource: (n) => paths.volumeData(svc.p, n),
      network: networkSettingsJson(root, r.id),
    }));
  }
  return { results, errors };
}

/** For `tug inspect`: is this a container? */
export function findContainer(root: string, runRoot: string, ref: string): boolean {
  return ContainerService.open(root, runRoot).store.find(ref) !== undefined;
}
