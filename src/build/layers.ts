// Turning a step's snapshot into a layer: diff → gzip → content store, then
// the snapshot is committed under the new chainID for the next step.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentStore } from '../content/index.js';
import { chainID } from '../archive/layer.js';
import { writeLayer } from '../archive/layer.js';
import { MediaType } from '../oci/mediatypes.js';
import type { Digest } from '../oci/types.js';
import type { Snapshotter } from '../snapshot/index.js';
import type { LayerRef } from './cache.js';

export interface Workspace {
  key: string;
  rootfs: string;
}

/** A writable snapshot on top of `parent`, mounted; the caller must finish() or discard() it. */
export async function openWorkspace(snaps: Snapshotter, runRoot: string, parent: Digest | null): Promise<Workspace> {
  const key = `build-${randomBytes(8).toString('hex')}`;
  const rootfs = join(runRoot, 'build', 'rootfs', key);
  mkdirSync(rootfs, { recursive: true });
  await snaps.prepare(key, parent);
  try {
    await snaps.mount(key, rootfs);
  } catch (e) {
    await snaps.remove(key).catch(() => {});
    rmSync(rootfs, { recursive: true, force: true });
    throw e;
  }
  return { key, rootfs };
}

export async function discardWorkspace(snaps: Snapshotter, ws: Workspace): Promise<void> {
  await snaps.unmount(ws.rootfs).catch(() => {});
  await snaps.remove(ws.key).catch(() => {});
  rmSync(ws.rootfs, { recursive: true, force: true });
}

/**
 * Unmounts, stores the changes as a layer and commits the snapshot. Returns
 * undefined when the step changed nothing (no layer, as BuildKit).
 */
export async function finishWorkspace(
  snaps: Snapshotter,
  content: ContentStore,
  ws: Workspace,
  parentChain: Digest | null,
  opts: { sourceDateEpoch?: number },
): Promise<{ layer: LayerRef; chainID: Digest; size: number } | undefined> {
  try {
    await snaps.unmount(ws.rootfs);
    const changes = await snaps.changes(ws.key);
    if (changes.length === 0) return undefined;
    const w = await content.writer();
    let d;
    try {
      // Stored uncompressed (digest = diffID), as BuildKit inside dockerd keeps build layers:
      // no gzip and one hash per step; registries and archives accept plain tar layers.
      d = await writeLayer(snaps.diff(ws.key, { sourceDateEpoch: opts.sourceDateEpoch }), w.stream(), { compression: 'none' });
      await w.commit({ digest: d.digest, size: d.size });
    } catch (e) {
      await w.abort().catch(() => {});
      throw e;
    }
    const next = parentChain ? chainID([parentChain, d.diffID]) : d.diffID;
    if (!(await snaps.has(next))) await snaps.commit(ws.key, next, { diffID: d.diffID, size: d.uncompressedSize });
    return { layer: { diffID: d.diffID, blob: { mediaType: MediaType.OciLayer, digest: d.digest, size: d.size } }, chainID: next, size: d.size };
  } finally {
    await discardWorkspace(snaps, ws);
  }
}
