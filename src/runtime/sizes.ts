// `ps -s`: the size of what a container wrote (its snapshot's changes).
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { containerRootfs } from './create.js';
import { imageSource } from './imagesource.js';
import type { ContainerService } from './service.js';
import type { ContainerRecord } from './types.js';
import { humanSize } from '../util/units.js';

export { humanSize };


export async function writableSize(svc: ContainerService, rec: ContainerRecord): Promise<string> {
  if (!rec.config.snapshotKey) return '0B';
  try {
    const changes = await (await imageSource(svc.p.root)).changes(rec.config.snapshotKey);
    const root = containerRootfs(svc, rec);
    let total = 0;
    for (const c of changes) {
      if (c.kind === 'D') continue;
      try {
        const st = lstatSync(join(root, c.path));
        if (st.isFile()) total += st.size;
      } catch { /* not mounted: count nothing */ }
    }
    return humanSize(total);
  } catch {
    return '0B';
  }
}
