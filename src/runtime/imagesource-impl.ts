// Binds ImageSource to the image service (src/image) and the snapshotter
// (src/snapshot): resolve a name, unpack its layers once per chainID, and
// give each container an active snapshot on top of the image's top layer.
import type { Readable } from 'node:stream';
import { ImageService } from '../image/service.js';
import { unpackImage } from '../image/unpack.js';
import { Snapshotter } from '../snapshot/snapshotter.js';
import { mountSpec } from '../snapshot/mounts.js';
import { TugError } from '../util/errors.js';
import type { ImageSource, InitPaths } from './imagesource.js';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

export async function openImageSource(root: string): Promise<ImageSource> {
  let images: ImageService | undefined;
  let snaps: Snapshotter | undefined;
  const img = (): ImageService => (images ??= ImageService.open(root));
  const snap = (): Snapshotter => (snaps ??= Snapshotter.open(root));

  /** Unpacks the image's layers (once; shared by all containers); returns the top chainID. */
  async function unpack(imageId: string): Promise<string | null> {
    return unpackImage(img(), snap(), img().resolve(imageId));
  }

  /** The init layer for (image top, paths): shared by all containers with the same ones. */
  async function initLayer(top: string | null, init: InitPaths): Promise<string> {
    const id = `sha256:${createHash('sha256').update(JSON.stringify(['tug-init-v1', top, init.dirs, init.files])).digest('hex')}`;
    if (await snap().has(id)) return id;
    const key = `tug-init-tmp-${randomBytes(8).toString('hex')}`;
    await snap().prepare(key, top);
    const dir = mkdtempSync(join(tmpdir(), 'tug-init-'));
    try {
      await snap().mount(key, dir);
      try {
        for (const d of init.dirs) if (!exists(join(dir, d))) mkdirSync(join(dir, d), { recursive: true, mode: 0o755 });
        for (const f of init.files) {
          if (exists(join(dir, f))) continue;
          mkdirSync(dirname(join(dir, f)), { recursive: true, mode: 0o755 });
          writeFileSync(join(dir, f), '', { mode: 0o644 });
        }
      } finally {
        await snap().unmount(dir);
      }
      await snap().commit(key, id);
    } catch (e) {
      await snap().remove(key).catch(() => {});
      throw e;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return id;
  }

  return {
    async resolve(ref) {
      let rec;
      try {
        rec = img().resolve(ref);
      } catch (e) {
        if (e instanceof TugError && e.code === 'NOT_FOUND') {
          throw new TugError('NOT_FOUND', `Unable to find image '${ref}' locally`, { hint: "load it first: 'tug pull', 'tug load' or 'tug import'; see 'tug images'" });
        }
        throw e;
      }
      const cfg = await img().config(rec);
      return { id: rec.id, config: cfg.config ?? {}, ref };
    },
    async prepare(key, imageId, init) {
      const top = await unpack(imageId);
      const initId = await initLayer(top, init);
      await snap().prepare(key, initId);
      return initId;
    },
    async removeInit(initId) {
      try {
        await snap().removeCommitted(initId);
      } catch { /* other containers stand on it */ }
    },
    async mount(key, target, opts) {
      const spec = snap().mountSpec(key);
      if (opts?.volatile && spec.type === 'overlay') spec.options = [...spec.options, 'volatile'];
      await mountSpec(spec, target);
    },
    unmount: (target) => snap().unmount(target),
    async remove(key) {
      await snap().remove(key);
    },
    changes: (key) => snap().changes(key),
    async diff(key) {
      return snap().diff(key) as Readable;
    },
    async commit(o) {
      const base = o.baseImageId ? img().resolve(o.baseImageId) : null;
      const created = await img().createImage({
        base,
        layers: [{ tar: snap().diff(o.key), what: 'container changes' }],
        config: o.config,
        comment: o.comment || undefined,
        author: o.author || undefined,
        history: [{ created: new Date().toISOString(), created_by: o.createdBy, ...(o.comment ? { comment: o.comment } : {}), ...(o.author ? { author: o.author } : {}) }],
        names: [],
      });
      if (o.tag) img().tag(created, o.tag);
      return created.id;
    },
  };
}
