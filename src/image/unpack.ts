// Unpacks an image's layers into the snapshotter, once per chainID (the
// snapshotter makes concurrent unpacks of one layer safe). Returns the top
// chainID, or null for an image without layers.
import type { Digest } from '../oci/types.js';
import type { Snapshotter } from '../snapshot/index.js';
import type { ContentStore } from '../content/index.js';
import type { ImageRecord, ImageService } from './service.js';

export async function unpackImage(images: ImageService, snaps: Snapshotter, img: ImageRecord): Promise<Digest | null> {
  return unpackLayers(images.content, snaps, img.layers);
}

/** The same for any stack of stored layers (each with its chainID and blob digest), bottom first. */
export async function unpackLayers(content: ContentStore, snaps: Snapshotter, layers: ReadonlyArray<{ chainID: Digest; digest: Digest }>): Promise<Digest | null> {
  let parent: Digest | null = null;
  for (const l of layers) {
    // the snapshotter checks that the layer's diffID gives this chainID
    if (!(await snaps.has(l.chainID))) await snaps.unpack(l.chainID, parent, await content.open(l.digest));
    parent = l.chainID;
  }
  return parent;
}
