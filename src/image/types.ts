// What the image service hands out: one row per image with its names and layers.
import type { Digest } from '../oci/types.js';

export interface LayerRecord {
  /** sha256 of the uncompressed tar (config.rootfs.diff_ids[i]). */
  diffID: Digest;
  /** The blob as stored (maybe compressed). */
  digest: Digest;
  mediaType: string;
  /** chainID of this layer and all below it: the snapshot key. */
  chainID: Digest;
  /** Blob size in bytes. */
  size: number;
  /** Uncompressed tar size in bytes. */
  diffSize: number;
}

export interface ImageRecord {
  /** Config digest (docker's image id). */
  id: Digest;
  manifestDigest: Digest;
  manifestMediaType: string;
  /** config.created, RFC 3339 ('' when the config has none). */
  created: string;
  /** Sum of uncompressed layer sizes (docker's SIZE). */
  size: number;
  /** The image this one was built or committed on, if any (for `images -a` and `history`). */
  parent: Digest | null;
  addedAt: string;
  lastTagTime: string | null;
  /** Normalised "repository:tag" names, e.g. docker.io/library/busybox:latest. */
  names: string[];
  /** Normalised "repository@sha256:…" references. */
  repoDigests: string[];
  layers: LayerRecord[];
}

export interface RemovedReport {
  /** Names removed ("busybox:latest", familiar form as docker prints them). */
  untagged: string[];
  /** Image ids deleted (the image itself, and parents freed with it). */
  deleted: Digest[];
  /** chainIDs of the deleted images' layers, top first: snapshots that may now be unused. */
  chains?: Digest[];
}
