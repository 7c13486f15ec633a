// Downloading one blob straight into the content store: the ingest ref is
// derived from the digest, so a pull killed half-way leaves an ingest that the
// next pull (this process's retry or a later `tug pull`) continues with a
// Range request; the writer hashes every byte (old and new) and commit checks
// digest and size, so a lying server never gets anything stored.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { ContentStore, ContentWriter } from '../content/index.js';
import type { Descriptor, Digest } from '../oci/types.js';
import { TugError, errnoCode, isTugError } from '../util/errors.js';
import type { RegistryClient } from './client.js';
import { ConnectionError, type HttpResponse } from './transport.js';

export interface FetchBlobOptions {
  /** Called with bytes held so far (including resumed ones). */
  onProgress?: (current: number, total: number) => void;
  /** Called once when the download starts and when it resumes from an offset. */
  onStart?: (offset: number) => void;
  /** Connection drops survived by resuming with Range (default 5). */
  retries?: number;
  /** Set when the whole operation is abandoned: the transfer stops at once. */
  cancelled?: () => boolean;
  /** Also compute the layer's diffID (sha256 of the uncompressed tar) while it streams. */
  diff?: boolean;
}

export interface FetchBlobResult {
  /** Bytes transferred over the network by this call. */
  transferred: number;
  /** Bytes that were already in an ingest from an earlier, interrupted pull. */
  resumedFrom: number;
  /** True when the blob was already in the store. */
  existed: boolean;
  /** diffID and uncompressed size, when asked for and the whole blob streamed through this call. */
  diff?: { diffID: Digest; diffSize: number };
}

/**
 * Hashes the uncompressed tar as the compressed bytes flow by (gunzip runs on
 * libuv's thread pool), so recording a pulled image need not read every layer
 * again. Gives up quietly on anything it cannot read (zstd, corrupt data): the
 * image service then measures the layer itself.
 */
class DiffTap extends Transform {
  private gunzip?: Gunzip;
  private readonly hash = createHash('sha256');
  private size = 0;
  private kind?: 'gzip' | 'none' | 'other';
  failed = false;
  constructor() {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.kind === undefined) {
      this.kind = chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b ? 'gzip' : chunk.length >= 4 && chunk.readUInt32LE(0) === 0xfd2fb528 ? 'other' : 'none';
      if (this.kind === 'gzip') {
        this.gunzip = createGunzip({ chunkSize: 1 << 20 });
        this.gunzip.on('data', (c: Buffer) => {
          this.hash.update(c);
          this.size += c.length;
        });
        this.gunzip.on('error', () => {
          this.failed = true;
        });
      }
    }
    if (this.kind === 'gzip' && this.gunzip && !this.failed) {
      if (!this.gunzip.write(chunk)) {
        this.gunzip.once('drain', () => cb(null, chunk));
        return;
      }
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.kind !== 'gzip' || !this.gunzip || this.failed) {
      cb();
      return;
    }
    const gz = this.gunzip;
    gz.once('end', () => cb());
    gz.once('error', () => cb());
    gz.end();
  }
  result(blobDigest: Digest, blobSize: number): { diffID: Digest; diffSize: number } | undefined {
    if (this.failed || this.kind === 'other') return undefined;
    if (this.kind === 'none' || this.kind === undefined) return { diffID: blobDigest, diffSize: blobSize };
    return { diffID: `sha256:${this.hash.digest('hex')}`, diffSize: this.size };
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function ingestRef(desc: Descriptor): string {
  return `pull-${desc.digest}`;
}

/** Opens the blob's ingest, waiting while another process downloads the same blob. */
async function openIngest(store: ContentStore, desc: Descriptor): Promise<ContentWriter | 'exists'> {
  for (let waited = 0; ; waited += 250) {
    if (await store.has(desc.digest)) return 'exists';
    try {
      return await store.writer(ingestRef(desc));
    } catch (e) {
      // CONFLICT: another process is downloading it. ENOENT: that process just committed and
      // removed the ingest directory while we were opening it (a race in the store's open).
      const retry = isTugError(e, 'CONFLICT') || errnoCode(e) === 'ENOENT';
      if (!retry || waited > 30 * 60_000) throw e;
      await sleep(isTugError(e, 'CONFLICT') ? 250 : 10);
    }
  }
}

/** Counts bytes and refuses more than the descriptor's size (a Content-Length lie). */
class Limiter extends Transform {
  seen = 0;
  constructor(private readonly max: number, private readonly onBytes: (n: number) => void, private readonly what: string) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      cb(new TugError('DIGEST_MISMATCH', `${this.what} is larger than its descriptor says`, { hint: 'the registry sent wrong content; nothing was stored' }));
      return;
    }
    this.onBytes(chunk.length);
    cb(null, chunk);
  }
}

export async function fetchBlobInto(client: RegistryClient, repository: string, desc: Descriptor, store: ContentStore, opts: FetchBlobOptions = {}): Promise<FetchBlobResult> {
  const opened = await openIngest(store, desc);
  if (opened === 'exists') return { transferred: 0, resumedFrom: 0, existed: true };
  let w: ContentWriter = opened;
  const resumedFrom = Math.min(w.offset, desc.size);
  let transferred = 0;
  // the diff can only be measured when every byte flows through one stream from offset 0
  let tap: DiffTap | undefined;
  let tapValid = opts.diff === true;
  const retries = opts.retries ?? 5;
  const what = `blob ${desc.digest}`;
  try {
    for (let attempt = 0; ; attempt++) {
      if (w.offset > desc.size) {
        // an ingest longer than the blob cannot be right: start over
        await w.abort();
        w = await store.writer(ingestRef(desc));
      }
      if (w.offset < desc.size) {
        let res: HttpResponse | undefined;
        try {
          res = await client.getBlob(repository, desc.digest, w.offset);
          if (res.status === 200 && w.offset > 0) {
            // the server ignored Range: throw the partial ingest away
            await w.abort();
            w = await store.writer(ingestRef(desc));
          } else if (res.status === 206) {
            const m = /bytes (\d+)-/.exec(res.header('content-range') ?? '');
            if (!m || Number(m[1]) !== w.offset) {
              res.body.destroy();
              throw new TugError('REGISTRY', `registry ${client.host} answered a range request for ${what} with the wrong range "${res.header('content-range') ?? ''}"`);
            }
          }
          opts.onStart?.(w.offset);
          const base = w.offset;
          const limiter = new Limiter(desc.size - base, (n) => {
            transferred += n;
            if (opts.cancelled?.()) limiter.destroy(new TugError('INTERNAL', 'cancelled'));
            opts.onProgress?.(base + limiter.seen, desc.size);
          }, what);
          if (base !== 0) tapValid = false;
          tap = tapValid ? new DiffTap() : undefined;
          if (tap) await pipeline(res.body, limiter, tap, w.stream());
          else await pipeline(res.body, limiter, w.stream());
          // a body that ended early (no error, fewer bytes): continue from where it stopped
          if (w.offset < desc.size && limiter.seen > 0 && attempt < retries) {
            tapValid = false;
            continue;
          }
        } catch (e) {
          res?.body.destroy();
          // connection dropped mid-body: resume from what the writer holds
          const dropped = e instanceof ConnectionError || (!(e instanceof TugError) && isNetworkError(e));
          tapValid = false;
          if (dropped && attempt < retries && !opts.cancelled?.()) {
            await sleep(250 * 2 ** attempt);
            continue;
          }
          throw e;
        }
      }
      try {
        await w.commit({ digest: desc.digest, size: desc.size });
      } catch (e) {
        if (isTugError(e, 'DIGEST_MISMATCH')) {
          throw new TugError('DIGEST_MISMATCH', `filesystem layer verification failed for digest ${desc.digest}: ${e.message}`, {
            hint: `the registry ${client.host} sent content that does not match the manifest; nothing was stored`,
          });
        }
        throw e;
      }
      const diff = tapValid && tap ? tap.result(desc.digest, desc.size) : undefined;
      return { transferred, resumedFrom, existed: false, diff };
    }
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

function isNetworkError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'].includes(code) || /aborted|socket hang up/i.test(String((e as Error)?.message));
}
