// Small filesystem steps the store needs to be crash-safe.
import { open, utimes } from 'node:fs/promises';
import { errnoCode } from '../util/errors.js';

/** fsync a directory, so a rename into it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Sets path's mtime to now if it exists. Used instead of stat() on the
 * "already exists" path: the garbage collector checks mtime after moving a
 * blob aside, so a touch that lands before the move is always seen.
 */
export async function touchIfExists(path: string): Promise<boolean> {
  const now = new Date();
  try {
    await utimes(path, now, now);
    return true;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') return false;
    if (code === 'EPERM' || code === 'EACCES') return true; // someone else's blob: it exists, we just cannot touch it
    throw e;
  }
}
