// Layer identities: chainIDs (OCI image spec) and a pipeline that compresses
// a layer tar into a sink while computing its diffID and blob digest.
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestingStream } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';
import { gzipLayer, zstdLayer } from './compression.js';

/** chainID(L0) = diffID(L0); chainID(L0..n) = sha256(chainID(L0..n-1) + " " + diffID(Ln)). */
export function chainID(diffIDs: readonly Digest[]): Digest {
  if (diffIDs.length === 0) throw new Error('chainID of no layers');
  let id = diffIDs[0];
  for (let i = 1; i < diffIDs.length; i++) id = `sha256:${createHash('sha256').update(`${id} ${diffIDs[i]}`).digest('hex')}`;
  return id;
}

/** Every prefix's chainID: chainIDs([a, b, c])[i] = chainID([a..i]). */
export function chainIDs(diffIDs: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (let i = 0; i < diffIDs.length; i++) out.push(i === 0 ? diffIDs[0] : chainID([out[i - 1], diffIDs[i]]));
  return out;
}

export interface LayerDigests {
  /** sha256 of the uncompressed tar. */
  diffID: Digest;
  /** sha256 of the blob as written to the sink. */
  digest: Digest;
  /** Blob size (compressed). */
  size: number;
  /** Uncompressed size. */
  uncompressedSize: number;
}

export interface WriteLayerOptions {
  /** 'gzip' (default), 'zstd' (needs zstd(1)) or 'none' (the blob is the plain tar). */
  compression?: 'gzip' | 'zstd' | 'none';
  /** gzip level 1..9 (default DEFAULT_GZIP_LEVEL) or zstd level 1..19 (default 3). */
  level?: number;
}

/** Streams a layer tar through gzip into sink (e.g. a content-store writer), hashing both sides. */
export async function writeLayer(tar: Readable, sink: Writable, opts: WriteLayerOptions = {}): Promise<LayerDigests> {
  const raw = new DigestingStream();
  if (opts.compression === 'none') {
    await pipeline(tar, raw, sink);
    return { diffID: raw.digest(), digest: raw.digest(), size: raw.size, uncompressedSize: raw.size };
  }
  const blob = new DigestingStream();
  await pipeline(tar, raw, opts.compression === 'zstd' ? zstdLayer(opts.level) : gzipLayer(opts.level), blob, sink);
  return { diffID: raw.digest(), digest: blob.digest(), size: blob.size, uncompressedSize: raw.size };
}
