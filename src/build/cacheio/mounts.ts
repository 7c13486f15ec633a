// Exportable cache mounts: the contents of a RUN --mount=type=cache directory
// as one gzipped tar blob (content-addressed, so an unchanged package cache is
// not uploaded twice), and the way back: a fresh runner whose cache directory
// is empty gets it filled before the first step that mounts it.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, chmodSync, chownSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { ContentStore } from '../../content/index.js';
import { tarDirectory } from '../../archive/create.js';
import { applyLayer } from '../../archive/apply.js';
import { cacheMountDir } from '../steps/mounts.js';
import { CACHE_MOUNT_MEDIA_TYPE, type CacheMountBlob } from './format.js';


/** Stores the mount's directory as a blob; undefined when the build never filled it. */
export async function packCacheMount(root: string, store: ContentStore, id: string): Promise<CacheMountBlob | undefined> {
  const dir = cacheMountDir(root, id);
  if (!existsSync(dir)) return undefined;
  const st = statSync(dir);
  const w = await store.writer();
  try {
    await pipeline(tarDirectory(dir), createGzip({ level: 6 }), w.stream());
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
  const c = await w.commit();
  return { id, blob: { mediaType: CACHE_MOUNT_MEDIA_TYPE, digest: c.digest, size: c.size }, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

function isEmptyDir(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch {
    return true;
  }
}

export function cacheMountIsEmpty(root: string, id: string): boolean {
  return isEmptyDir(cacheMountDir(root, id));
}

/** Fills an empty (or missing) cache-mount directory from a stored blob; false when it already had content. */
export async function restoreCacheMount(root: string, store: ContentStore, m: CacheMountBlob): Promise<boolean> {
  const dir = cacheMountDir(root, m.id);
  if (!isEmptyDir(dir)) return false;
  // unpacked beside it, then renamed into place: a concurrent step never sees half a cache
  const tmp = `${dir}.restore-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await applyLayer(tmp, await store.open(m.blob.digest), { whiteouts: 'delete' });
    if (m.mode !== undefined) chmodSync(tmp, m.mode);
    if (m.uid !== undefined && m.gid !== undefined && process.getuid?.() === 0) chownSync(tmp, m.uid, m.gid);
    if (!isEmptyDir(dir)) return false;
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
