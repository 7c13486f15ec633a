// `tug build --twice`: the reproducibility check. The same request is built on
// two fresh, empty state roots (base images copied in from the caller's root,
// byte for byte) with SOURCE_DATE_EPOCH (0 unless given), and the two image
// digests are compared; when they differ, the first differing layer (or the
// config) is named. The caller's root gets nothing but what it already had.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ImageService, type ImageRecord } from '../image/service.js';
import { closeDb } from '../meta/db.js';
import type { Digest, ImageConfig, Manifest } from '../oci/types.js';
import { Builder, type BuildRequest } from './builder.js';
import type { Vertex } from './progress.js';

export interface BuiltImage {
  manifestDigest: Digest;
  configDigest: Digest;
  manifest: Manifest;
  config: ImageConfig;
}

export interface TwiceResult {
  same: boolean;
  first: BuiltImage;
  second: BuiltImage;
  /** What differs, in words (undefined when the same). */
  difference?: string;
}

/** Copies an image (manifest, config, layers) from one state root into another; the digests stay the same. */
export async function copyImage(fromRoot: string, toRoot: string, ref: string): Promise<ImageRecord> {
  const src = ImageService.open(fromRoot);
  const img = src.resolve(ref);
  const dst = ImageService.open(toRoot);
  const manifest = await src.manifest(img);
  for (const d of [manifest.config, ...manifest.layers]) await dst.content.write(await src.content.open(d.digest), { digest: d.digest, size: d.size });
  const bytes = await src.content.readBytes(img.manifestDigest);
  await dst.content.write(bytes, { digest: img.manifestDigest, size: bytes.length });
  return dst.addImage(img.manifestDigest, /^sha256:|^[a-f0-9]{64}$/.test(ref) ? [] : [ref]);
}

function describeDifference(a: BuiltImage, b: BuiltImage): string {
  const la = a.manifest.layers;
  const lb = b.manifest.layers;
  const history = (a.config.history ?? []).filter((h) => !h.empty_layer);
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i]?.digest === lb[i]?.digest) continue;
    const by = history[i]?.created_by ? ` (${history[i].created_by})` : '';
    return `layer ${i + 1} of ${Math.max(la.length, lb.length)}${by} differs: ${la[i]?.digest ?? 'missing'} vs ${lb[i]?.digest ?? 'missing'}`;
  }
  if (a.configDigest !== b.configDigest) {
    const ca = a.config as unknown as Record<string, unknown>;
    const cb = b.config as unknown as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ca), ...Object.keys(cb)])].filter((k) => JSON.stringify(ca[k]) !== JSON.stringify(cb[k]));
    return `the image config differs (${a.configDigest} vs ${b.configDigest}) in: ${keys.join(', ') || 'key order'}`;
  }
  return `the manifest differs (${a.manifestDigest} vs ${b.manifestDigest})`;
}

/** Builds `req` twice on empty roots; `req.root` only lends its base images. */
export async function buildTwice(req: BuildRequest, opts: { tmpDir?: string } = {}): Promise<TwiceResult> {
  const results: BuiltImage[] = [];
  for (let i = 1; i <= 2; i++) {
    req.progress.note(`build ${i} of 2 on an empty state root (SOURCE_DATE_EPOCH=${req.sourceDateEpoch ?? 0})`);
    const root = mkdtempSync(join(opts.tmpDir ?? '/var/tmp', 'tug-twice-'));
    const runRoot = join(req.runRoot, `twice-${randomBytes(6).toString('hex')}`);
    mkdirSync(runRoot, { recursive: true });
    try {
      const pullImage = async (ref: string, v: Vertex): Promise<ImageRecord> => {
        try {
          ImageService.open(req.root).resolve(ref);
        } catch (e) {
          if (!req.pullImage) throw e;
          await req.pullImage(ref, v); // into the caller's root, then copied like any base
        }
        return copyImage(req.root, root, ref);
      };
      const builder = new Builder({
        ...req, root, runRoot, tags: [], pull: false, noCache: true, pullImage,
        sourceDateEpoch: req.sourceDateEpoch ?? 0, cacheImporter: undefined, cacheExporter: undefined,
      });
      const r = await builder.build();
      const images = ImageService.open(root);
      const manifest = await images.manifest(r.image);
      results.push({ manifestDigest: r.image.manifestDigest, configDigest: r.image.id, manifest, config: await images.config(r.image) });
    } finally {
      closeDb(root);
      rmSync(root, { recursive: true, force: true });
      rmSync(runRoot, { recursive: true, force: true });
    }
  }
  const [first, second] = results;
  const same = first.manifestDigest === second.manifestDigest;
  return { same, first, second, difference: same ? undefined : describeDifference(first, second) };
}
