// Image removal only drops rows; blobs nothing references any more are
// reclaimed by the one garbage collector (src/meta/gc.ts). The image module's
// roots are every blob a recorded image names (manifest, config, layers).
// Callers pass the other modules' roots (build cache, registry): a collection
// must see them all, and only the front end may import every module.
import { collectGarbage, type RootProvider } from '../meta/gc.js';
import { ImageRecords } from './records.js';
import type { ImageService } from './service.js';
import type { Db } from '../meta/db.js';
import type { Digest } from '../oci/types.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../util/errors.js';

/**
 * Blobs committed this recently are kept even if unreferenced. Image work in
 * flight holds leases, so this only has to cover the moment between a commit
 * and its lease entry.
 */
export const IMAGE_GC_GRACE_MS = 10_000;

export function imageRoots(db: Db): RootProvider {
  return { name: 'image', roots: () => new ImageRecords(db).referencedBlobs() };
}

export interface Reclaimed {
  bytes: number;
  blobs: number;
}

export async function collectImageGarbage(svc: ImageService, otherRoots: RootProvider[], graceMs = IMAGE_GC_GRACE_MS): Promise<Reclaimed> {
  const r = await collectGarbage({ store: svc.content, db: svc.db, roots: [imageRoots(svc.db), ...otherRoots], gracePeriodMs: graceMs });
  return { bytes: r.freedBytes, blobs: r.removed.length };
}

/**
 * Removes the unpacked snapshots of deleted images' layers that no remaining
 * image (nor `keep`, e.g. build-cache records) uses. The snapshotter refuses
 * to remove a snapshot others stand on (containers, later layers), so those stay.
 * Returns how many were removed. A root that never unpacked anything is not touched.
 */
export async function releaseSnapshots(svc: ImageService, chains: Digest[], keep: Iterable<Digest> = []): Promise<number> {
  if (!chains.length || !existsSync(join(svc.root, 'snapshots'))) return 0;
  const { Snapshotter } = await import('../snapshot/index.js');
  const snaps = Snapshotter.open(svc.root);
  const needed = new Set<Digest>([...svc.records.allChainIDs(), ...keep]);
  let removed = 0;
  for (const c of new Set(chains)) {
    if (needed.has(c) || !(await snaps.has(c))) continue;
    try {
      await snaps.removeCommitted(c);
      removed++;
    } catch (e) {
      if (!(e instanceof TugError)) throw e; // in use (children) or gone meanwhile: keep going
    }
  }
  return removed;
}
