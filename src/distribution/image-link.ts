// The seam to the image service: record what a pull brought in, and find the
// manifest a push sends.
import type { Digest } from '../oci/types.js';
import { ImageService } from '../image/service.js';
import { TugError, isTugError } from '../util/errors.js';

export interface PulledImage {
  /** Normalised "repo:tag" to point at the image; undefined for a pull by digest. */
  name?: string;
  /** Normalised repository the image was pulled from (recorded as a repo digest). */
  repository: string;
  /** What the reference resolved to (index or manifest). */
  repoDigest: Digest;
  manifestDigest: Digest;
  manifestMediaType: string;
  /** diffIDs measured while downloading, so the image service need not re-read the layers. */
  knownDiffs?: Map<Digest, { diffID: Digest; diffSize: number }>;
}

/** Records the image; `unchanged` when the name already pointed at this very manifest. */
export async function recordPulledImage(root: string, p: PulledImage): Promise<{ id: Digest; unchanged: boolean }> {
  const images = ImageService.open(root);
  let before: Digest | undefined;
  try {
    before = images.resolve(p.name ?? `${p.repository}@${p.manifestDigest}`).manifestDigest;
  } catch (e) {
    if (!isTugError(e, 'NOT_FOUND')) throw e;
  }
  const rec = await images.addImage(p.manifestDigest, p.name ? [p.name] : [], { repoDigests: [p.repository], knownDiffs: p.knownDiffs });
  return { id: rec.id, unchanged: before === p.manifestDigest };
}

export interface LocalImage {
  id: Digest;
  manifestDigest: Digest;
  manifestMediaType: string;
}

/** The local image a push sends; docker's wording when there is none. */
export function localImageFor(root: string, name: string, display: string): LocalImage {
  try {
    const rec = ImageService.open(root).resolve(name);
    return { id: rec.id, manifestDigest: rec.manifestDigest, manifestMediaType: rec.manifestMediaType };
  } catch (e) {
    if (isTugError(e, 'NOT_FOUND')) {
      throw new TugError('NOT_FOUND', `An image does not exist locally with the tag: ${display}`, { hint: `tag an image first: tug tag IMAGE ${display}` });
    }
    throw e;
  }
}

/** Tags of a normalised repository that exist locally, sorted. */
export function localTagsOf(root: string, repository: string): string[] {
  const tags = new Set<string>();
  for (const img of ImageService.open(root).list()) {
    for (const n of img.names) {
      const i = n.lastIndexOf(':');
      if (n.slice(0, i) === repository) tags.add(n.slice(i + 1));
    }
  }
  return [...tags].sort();
}
