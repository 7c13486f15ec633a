// Checks that a manifest, its config and its layers agree before an image is
// recorded (go-containerregistry's validate.Image): every blob present with
// the size the manifest claims, one diffID per layer, each diffID the digest
// of the uncompressed layer.
import type { ContentStore } from '../content/index.js';
import { isLayerType, isManifestType, MediaType } from '../oci/mediatypes.js';
import { isDigest } from '../oci/digest.js';
import type { Descriptor, Digest, ImageConfig, Manifest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { measureDiff } from './layerwrite.js';

function invalidImage(message: string, hint = 'the image is malformed; nothing was recorded'): TugError {
  return new TugError('INVALID_ARGUMENT', message, { hint });
}

export function checkManifestShape(m: unknown, digest: Digest): Manifest {
  const man = m as Partial<Manifest> | null;
  if (!man || typeof man !== 'object' || man.schemaVersion !== 2 || !man.config || !Array.isArray(man.layers)) {
    throw invalidImage(`${digest} is not an image manifest (schemaVersion 2 with config and layers)`);
  }
  if (man.mediaType !== undefined && !isManifestType(man.mediaType)) {
    throw invalidImage(`${digest} has media type ${man.mediaType}, not an image manifest`, 'multi-platform indexes must be resolved to one manifest first');
  }
  for (const d of [man.config, ...man.layers] as Descriptor[]) {
    if (!d || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number' || d.size < 0) {
      throw invalidImage(`manifest ${digest} has an invalid descriptor ${JSON.stringify(d)}`);
    }
  }
  return man as Manifest;
}

export function checkConfigShape(c: unknown, digest: Digest): ImageConfig {
  const cfg = c as Partial<ImageConfig> | null;
  if (!cfg || typeof cfg !== 'object' || !cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids)) {
    throw invalidImage(`config ${digest} is not an image config (rootfs.diff_ids missing)`);
  }
  for (const d of cfg.rootfs.diff_ids) if (typeof d !== 'string' || !isDigest(d)) throw invalidImage(`config ${digest} has an invalid diff_id ${JSON.stringify(d)}`);
  return cfg as ImageConfig;
}

export interface ValidatedLayer {
  descriptor: Descriptor;
  diffID: Digest;
  diffSize: number;
}

export interface Validated {
  manifest: Manifest;
  config: ImageConfig;
  layers: ValidatedLayer[];
}

/** A cache of blob digest → uncompressed digest/size, so each blob is decompressed once. */
export interface DiffCache {
  get(digest: Digest): { diffID: Digest; diffSize: number } | undefined;
  set(digest: Digest, diffID: Digest, diffSize: number): void;
}

export async function validateImage(content: ContentStore, manifestDigest: Digest, cache: DiffCache): Promise<Validated> {
  const manifest = checkManifestShape(await content.readJson<unknown>(manifestDigest).catch((e: unknown) => {
    throw e instanceof TugError && e.code === 'NOT_FOUND' ? invalidImage(`manifest ${manifestDigest} is not in the content store`) : e;
  }), manifestDigest);
  const present = async (d: Descriptor, what: string): Promise<void> => {
    let size: number;
    try {
      size = (await content.info(d.digest)).size;
    } catch (e) {
      if (e instanceof TugError && e.code === 'NOT_FOUND') throw invalidImage(`${what} ${d.digest} of manifest ${manifestDigest} is missing`);
      throw e;
    }
    if (size !== d.size) throw new TugError('DIGEST_MISMATCH', `${what} ${d.digest} is ${size} bytes but the manifest says ${d.size}`, { hint: 'the image is malformed; nothing was recorded' });
  };
  await present(manifest.config, 'config');
  const config = checkConfigShape(await content.readJson<unknown>(manifest.config.digest), manifest.config.digest);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw invalidImage(`manifest ${manifestDigest} has ${manifest.layers.length} layers but its config lists ${config.rootfs.diff_ids.length} diff_ids`);
  }
  const layers: ValidatedLayer[] = [];
  for (const [i, d] of manifest.layers.entries()) {
    if (!isLayerType(d.mediaType)) throw invalidImage(`layer ${i} of manifest ${manifestDigest} has unsupported media type ${d.mediaType}`);
    await present(d, `layer`);
    const want = config.rootfs.diff_ids[i];
    let diff = cache.get(d.digest);
    if (!diff) {
      const uncompressed = d.mediaType === MediaType.OciLayer || d.mediaType === 'application/vnd.docker.image.rootfs.diff.tar';
      // a plain tar's diffID is its own digest; anything else is measured
      diff = uncompressed && d.digest === want ? { diffID: d.digest, diffSize: d.size } : await measureDiff(content, d.digest);
      cache.set(d.digest, diff.diffID, diff.diffSize);
    }
    if (diff.diffID !== want) {
      throw new TugError('DIGEST_MISMATCH', `layer ${i} (${d.digest}) uncompresses to ${diff.diffID}, but the config says ${want}`, { hint: 'the image is malformed; nothing was recorded' });
    }
    layers.push({ descriptor: d, diffID: diff.diffID, diffSize: diff.diffSize });
  }
  return { manifest, config, layers };
}
