// What the runtime needs from the image and snapshot services, behind one
// small interface so the lifecycle code does not care where a rootfs comes from.
import type { ContainerConfig as ImageRunConfig } from '../oci/types.js';

export interface ResolvedImage {
  id: string;
  /** The image config's `config` object (Docker field names). */
  config: ImageRunConfig;
  /** Name to show in `ps` (as the user wrote it). */
  ref: string;
}

export interface InitPaths {
  dirs: string[];
  files: string[];
}

export interface Change {
  kind: 'A' | 'C' | 'D';
  path: string;
}

export interface ImageSource {
  resolve(ref: string): Promise<ResolvedImage>;
  /**
   * Creates the container's writable snapshot on top of the image, with an
   * "init" layer between them holding the engine's mount points (docker's
   * -init layer), so diff and commit show only what the container changed.
   * Returns the init layer's id (removeInit when the container goes).
   */
  prepare(key: string, imageId: string, init: InitPaths): Promise<string | null>;
  removeInit(initId: string): Promise<void>;
  /** volatile: overlay skips syncing the upper fs on unmount (for --rm containers, as podman does). */
  mount(key: string, target: string, opts?: { volatile?: boolean }): Promise<void>;
  unmount(target: string): Promise<void>;
  remove(key: string): Promise<void>;
  changes(key: string): Promise<Change[]>;
  /** The snapshot's changes as a layer tar. */
  diff(key: string): Promise<NodeJS.ReadableStream>;
  /** Makes a new image from the container's changes; returns the image id. */
  commit(opts: { key: string; baseImageId: string; config: ImageRunConfig; comment: string; author: string; tag?: string; createdBy: string }): Promise<string>;
}

let cached: ImageSource | undefined;

/** The image/snapshot services for a state root, loaded lazily (`--rootfs` runs never load them). */
export async function imageSource(root: string): Promise<ImageSource> {
  if (!cached) {
    const { withCheapLibcProbe } = await import('./native.js');
    cached = await withCheapLibcProbe(async () => (await import('./imagesource-impl.js')).openImageSource(root));
  }
  return cached;
}
