// Stores one layer from an uncompressed-or-gzip tar stream: hashes the tar
// (diffID) while it flows, optionally checks every entry, gzips it and commits
// the blob — one pass, nothing buffered whole.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { decompressStream, gzipLayer, TarReader } from '../archive/index.js';
import type { ContentStore } from '../content/index.js';
import { MediaType } from '../oci/mediatypes.js';
import type { Digest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { checkEntry } from './tarcheck.js';

export interface StoredLayer {
  digest: Digest;
  diffID: Digest;
  mediaType: string;
  size: number;
  diffSize: number;
}

export type Compression = 'gzip' | 'none' | 'zstd' | 'bzip2' | 'xz';

/** Compression from the first bytes (names and media types are not trusted). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/** Peeks at the first bytes of src; returns the compression and a stream that still yields every byte. */
export async function peek(src: Readable, want = 6): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let have = 0;
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (have < want) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(b);
    have += b.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false, highWaterMark: 1 << 20 }) };
}

/** Decompresses src if it is gzip; refuses compressions Node cannot read. */
export async function decompressed(src: Readable, what: string): Promise<{ stream: Readable; compression: Compression; head: Buffer }> {
  const { head, stream } = await peek(src);
  const compression = sniffCompression(head);
  if (compression === 'none') return { stream, compression, head };
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    stream.on('error', (e) => gunzip.destroy(e));
    return { stream: stream.pipe(gunzip), compression, head };
  }
  throw new TugError('UNSUPPORTED', `${what} is ${compression}-compressed, which tug cannot read yet`, {
    hint: 'decompress it first (or recompress with gzip)',
  });
}

export interface WriteLayerOptions {
  /** Store gzip (default) or the plain tar. */
  compress?: boolean;
  /** Parse every entry and refuse unsafe or corrupt archives (for tars from users). */
  check?: boolean;
  /** What to call the input in errors. */
  what?: string;
  /** Called with the digest before commit, so callers can tell new blobs from existing ones. */
  beforeCommit?: (digest: Digest) => Promise<void>;
}

export async function writeLayer(content: ContentStore, src: Readable, opts: WriteLayerOptions = {}): Promise<StoredLayer> {
  const what = opts.what ?? 'the layer';
  const { stream } = await decompressed(src, what);
  const compress = opts.compress ?? true;
  const w = await content.writer();
  // The tar bytes flow to the store (through gzip) and, chunk by chunk, to the
  // tar reader, which hashes them (diffID) and checks every header.
  const sink = compress ? gzipLayer() : new PassThrough({ highWaterMark: 1 << 20 });
  const stored = pipeline(sink, w.stream());
  stored.catch(() => {});
  async function* tee(): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      const c = chunk as Buffer;
      if (!sink.write(c)) await once(sink, 'drain');
      yield c;
    }
  }
  const reader = new TarReader(tee());
  let size: number;
  let diffID: Digest;
  try {
    for await (const e of reader.entries()) if (opts.check) checkEntry(e.header);
    ({ diffID, size } = reader.stats);
    sink.end();
    await stored;
  } catch (e) {
    stream.destroy();
    sink.destroy();
    await stored.catch(() => {});
    await w.abort();
    if (e instanceof TugError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TugError('INVALID_ARCHIVE', `${what} is not a valid tar archive: ${msg}`, { hint: 'the file is corrupt or not an (uncompressed or gzip) tar archive' });
  }
  if (size === 0) {
    await w.abort();
    throw new TugError('INVALID_ARCHIVE', `${what} is empty`, { hint: 'expected a tar archive' });
  }
  await opts.beforeCommit?.(w.digest());
  const committed = await w.commit();
  return {
    digest: committed.digest,
    diffID,
    mediaType: compress ? MediaType.OciLayerGzip : MediaType.OciLayer,
    size: committed.size,
    diffSize: size,
  };
}

/** diffID and uncompressed size of a stored blob (decompresses if needed). */
export async function measureDiff(content: ContentStore, digest: Digest): Promise<{ diffID: Digest; diffSize: number }> {
  // archive's decompressor also reads zstd (through zstd(1))
  const stream = await decompressStream(await content.open(digest));
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (e) {
    throw new TugError('INVALID_ARCHIVE', `layer ${digest} cannot be decompressed: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'the layer blob is corrupt',
    });
  }
  return { diffID: `sha256:${hash.digest('hex')}`, diffSize: size };
}
