// Build outputs besides the image store: the final filesystem as a directory
// (type=local) or a tar (type=tar), and the image as a docker or OCI archive.
import { cpSync, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TugError } from '../util/errors.js';
import { tarDirectory } from '../archive/create.js';
import { ImageService } from '../image/service.js';
import { Snapshotter } from '../snapshot/index.js';
import { unpackImage } from '../image/unpack.js';
import { saveArchive, selectForSave } from '../image/archive-save.js';
import { Readable } from 'node:stream';

async function withRootfs<T>(root: string, runRoot: string, imageId: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const images = ImageService.open(root);
  const img = images.resolve(imageId);
  const dir = join(runRoot, 'build', 'export', randomBytes(8).toString('hex'));
  mkdirSync(dir, { recursive: true });
  if (img.layers.length === 0) {
    try {
      return await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const snaps = Snapshotter.open(root);
  const chain = img.layers[img.layers.length - 1].chainID;
  if (!(await snaps.has(chain))) await unpackImage(images, snaps, img);
  const key = `export-${randomBytes(8).toString('hex')}`;
  await snaps.view(key, chain);
  try {
    await snaps.mount(key, dir);
    try {
      return await fn(dir);
    } finally {
      await snaps.unmount(dir);
    }
  } finally {
    await snaps.remove(key).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function exportImage(root: string, runRoot: string, imageId: string, type: string, dest: string | undefined, tags: string[]): Promise<void> {
  switch (type) {
    case 'local':
      await withRootfs(root, runRoot, imageId, async (dir) => {
        mkdirSync(dest as string, { recursive: true });
        cpSync(dir, dest as string, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
      });
      return;
    case 'tar':
      await withRootfs(root, runRoot, imageId, async (dir) => {
        const out = dest === '-' ? process.stdout : createWriteStream(dest as string);
        await pipeline(tarDirectory(dir), out);
      });
      return;
    case 'docker':
    case 'oci': {
      const svc = ImageService.open(root);
      const items = selectForSave(svc, tags.length ? tags : [imageId]);
      const out = !dest || dest === '-' ? process.stdout : createWriteStream(dest);
      await pipeline(Readable.from(saveArchive(svc, items, type === 'oci' ? 'oci' : 'docker')), out);
      return;
    }
    default:
      throw new TugError('INVALID_ARGUMENT', `unsupported output type "${type}"`);
  }
}
