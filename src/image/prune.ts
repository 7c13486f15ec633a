// `image prune` (docker's rules): dangling images (no tag, no digest, no
// children) not used by a container; with `all`, every image no container
// uses. Tagged images are untagged first, children before parents. Blobs are
// freed afterwards by the one garbage collector.
import { TugError } from '../util/errors.js';
import { imagesInUse } from './inuse.js';
import type { ImageService } from './service.js';
import type { RemovedReport } from './types.js';
import { familiarName } from './refs.js';

export function pruneImages(svc: ImageService, opts: { all?: boolean } = {}): RemovedReport {
  const report: RemovedReport = { untagged: [], deleted: [], chains: [] };
  for (let progress = true; progress; ) {
    progress = false;
    const inUse = imagesInUse(svc.db);
    const parents = svc.records.hasChildren();
    for (const img of svc.list()) {
      if (inUse.has(img.id) || parents.has(img.id)) continue;
      const dangling = img.names.length === 0 && img.repoDigests.length === 0;
      if (!dangling && !opts.all) continue;
      try {
        let r: RemovedReport;
        if (dangling) r = svc.remove(img.id);
        else {
          // one name at a time, the last one deletes it
          r = { untagged: [], deleted: [], chains: [] };
          const add = (x: RemovedReport): void => {
            r.untagged.push(...x.untagged);
            r.deleted.push(...x.deleted);
            r.chains?.push(...(x.chains ?? []));
          };
          for (const n of img.names) add(svc.remove(familiarName(n)));
          if (!r.deleted.length && svc.get(img.id)) add(svc.remove(img.id, { force: true }));
        }
        report.untagged.push(...r.untagged);
        report.deleted.push(...r.deleted);
        report.chains?.push(...(r.chains ?? []));
        progress ||= r.deleted.length > 0;
      } catch (e) {
        // removed or taken into use by another process meanwhile: skip it, as docker does
        if (!(e instanceof TugError)) throw e;
      }
    }
  }
  return report;
}
