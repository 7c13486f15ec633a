// Image removal only drops rows; blobs and snapshots nothing references any
// more are reclaimed by the one garbage collector (src/meta), whose roots
// include every image recorded here.
import type { ImageService } from './service.js';

export interface Reclaimed {
  bytes: number;
}

export async function collectImageGarbage(_svc: ImageService): Promise<Reclaimed> {
  // Wired to src/meta's collectGarbage once it lands.
  return { bytes: 0 };
}
