// Downloading one blob straight into the content store: the ingest ref is
// derived from the digest, so a pull killed half-way leaves an ingest that the
// next pull (this process's retry or a later `tug pull`) continues with a
// Range request; the writer hashes every byte (old and new) and commit checks
// digest and size, so a lying server never gets anything stored.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import type { DiffWorkerIn, DiffWorkerOut } from './diff-worker.js';
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
  /**
   * Also compute the layer's diffID (sha256 of the uncompressed tar) while it
   * streams: 'worker' hashes on a worker thread (worth its ~150 ms start-up for
   * big pulls), 'inline' (or true) on this thread with gunzip on the thread pool.
   */
  diff?: boolean | 'inline' | 'worker';
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
 * Measures the uncompressed tar's digest and size (the diffID) as the
 * compressed bytes flow by: each chunk is copied to a worker thread that
 * gunzips and hashes it, so the download's thread only hashes what it stores.
 * Gives up quietly on what it cannot read (zstd, corrupt data): the image
 * service then measures the layer itself.
 */
class DiffMeter {
  private static instance?: DiffMeter;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly streams = new Map<number, DiffTap>();

  static shared(): DiffMeter {
    DiffMeter.instance ??= new DiffMeter();
    return DiffMeter.instance;
  }

  private constructor() {
    this.worker = new Worker(new URL('./diff-worker.js', import.meta.url));
    this.worker.on('message', (m: DiffWorkerOut) => this.streams.get(m.id)?.onMessage(m));
    this.worker.on('error', (e) => {
      for (const s of this.streams.values()) s.onMessage({ id: 0, error: e.message });
      this.streams.clear();
      DiffMeter.instance = undefined;
    });
    // held only while a measurement is under way (after the listeners: adding one refs the port again)
    this.worker.unref();
  }

  open(): DiffTap {
    const id = this.nextId++;
    const tap = new DiffTap(id, (m, transfer) => this.worker.postMessage(m, transfer), () => {
      this.streams.delete(id);
      if (this.streams.size === 0) this.worker.unref();
    });
    if (this.streams.size === 0) this.worker.ref();
    this.streams.set(id, tap);
    this.worker.postMessage({ op: 'open', id } satisfies DiffWorkerIn);
    return tap;
  }
}

/** bytes a stream may have in the worker's queue before the download waits for it */
const DIFF_WINDOW = 32 * 1024 * 1024;

interface Tap {
  feed(chunk: Buffer, next: () => void): void;
  finish(): void;
  cancel(): void;
  result(blobDigest: Digest, blobSize: number): Promise<{ diffID: Digest; diffSize: number } | undefined>;
}

/** The same measurement on this thread: gunzip on libuv's pool, sha256 here. */
class InlineTap implements Tap {
  private kind?: 'gzip' | 'none' | 'other';
  private gunzip?: Gunzip;
  private readonly hash = createHash('sha256');
  private size = 0;
  private failed = false;
  private ended?: Promise<void>;

  feed(chunk: Buffer, next: () => void): void {
    if (this.kind === undefined) {
      this.kind = chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b ? 'gzip' : chunk.length >= 4 && chunk.readUInt32LE(0) === 0xfd2fb528 ? 'other' : 'none';
      if (this.kind === 'gzip') {
        const gz = createGunzip({ chunkSize: 1 << 20 });
        gz.on('data', (c: Buffer) => {
          this.hash.update(c);
          this.size += c.length;
        });
        gz.on('error', () => {
          this.failed = true;
        });
        this.gunzip = gz;
      }
    }
    if (this.gunzip && !this.failed && !this.gunzip.write(chunk)) this.gunzip.once('drain', next);
    else next();
  }

  finish(): void {
    const gz = this.gunzip;
    if (!gz || this.failed) return;
    this.ended = new Promise((resolve) => {
      gz.once('end', resolve);
      gz.once('error', () => resolve());
      gz.once('close', resolve);
    });
    gz.end();
  }

  cancel(): void {
    this.failed = true;
    this.gunzip?.destroy();
  }

  async result(blobDigest: Digest, blobSize: number): Promise<{ diffID: Digest; diffSize: number } | undefined> {
    await this.ended;
    if (this.failed || this.kind === 'other') return undefined;
    if (this.kind !== 'gzip') return { diffID: blobDigest, diffSize: blobSize };
    return { diffID: `sha256:${this.hash.digest('hex')}`, diffSize: this.size };
  }
}

class DiffTap implements Tap {
  private inflight = 0;
  private waiting?: () => void;
  private readonly outcome: Promise<{ diffID: Digest; diffSize: number; kind?: string } | undefined>;
  private settle!: (v: { diffID: Digest; diffSize: number; kind?: string } | undefined) => void;

  constructor(
    private readonly id: number,
    private readonly post: (m: DiffWorkerIn, transfer?: ArrayBuffer[]) => void,
    private readonly forget: () => void,
  ) {
    this.outcome = new Promise((r) => (this.settle = r));
  }

  onMessage(m: DiffWorkerOut): void {
    if ('acked' in m) {
      this.inflight -= m.acked;
      if (this.waiting && this.inflight < DIFF_WINDOW) {
        const w = this.waiting;
        this.waiting = undefined;
        w();
      }
      return;
    }
    this.forget();
    this.waiting?.();
    this.settle(m.error || !m.diffID ? undefined : { diffID: m.diffID, diffSize: m.diffSize ?? 0, kind: m.kind });
  }

  /** Sends a chunk; `next` runs at once, or when the worker has caught up with the window. */
  feed(chunk: Buffer, next: () => void): void {
    // a private copy whose memory moves to the worker (no second copy on the way)
    const copy = new Uint8Array(chunk);
    this.inflight += copy.byteLength;
    this.post({ op: 'data', id: this.id, buf: copy }, [copy.buffer as ArrayBuffer]);
    if (this.inflight >= DIFF_WINDOW) this.waiting = next;
    else next();
  }

  finish(): void {
    this.post({ op: 'end', id: this.id });
  }

  /** The diff once the worker is done; undefined when it could not be measured. */
  async result(blobDigest: Digest, blobSize: number): Promise<{ diffID: Digest; diffSize: number } | undefined> {
    const r = await this.outcome;
    if (!r) return undefined;
    if (r.kind === 'none') return { diffID: blobDigest, diffSize: blobSize };
    return { diffID: r.diffID, diffSize: r.diffSize };
  }

  /** Abandons the measurement (the stream was interrupted). */
  cancel(): void {
    this.post({ op: 'end', id: this.id });
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

/**
 * The one stage between socket and ingest: counts bytes, refuses more than the
 * descriptor's size (a Content-Length lie), and feeds the diff meter if any
 * (one stream hop per chunk, not three).
 */
class Limiter extends Transform {
  seen = 0;
  constructor(
    private readonly max: number,
    private readonly onBytes: (n: number) => void,
    private readonly what: string,
    private readonly tap?: Tap,
  ) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) {
      cb(new TugError('DIGEST_MISMATCH', `${this.what} is larger than its descriptor says`, { hint: 'the registry sent wrong content; nothing was stored' }));
      return;
    }
    this.onBytes(chunk.length);
    if (this.tap) this.tap.feed(chunk, () => cb(null, chunk));
    else cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    this.tap?.finish();
    cb();
  }
}

export async function fetchBlobInto(client: RegistryClient, repository: string, desc: Descriptor, store: ContentStore, opts: FetchBlobOptions = {}): Promise<FetchBlobResult> {
  const opened = await openIngest(store, desc);
  if (opened === 'exists') return { transferred: 0, resumedFrom: 0, existed: true };
  let w: ContentWriter = opened;
  const resumedFrom = Math.min(w.offset, desc.size);
  let transferred = 0;
  // the diff can only be measured when every byte flows through one stream from offset 0
  let tap: Tap | undefined;
  let tapValid = opts.diff !== undefined && opts.diff !== false;
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
          if (base !== 0) tapValid = false;
          tap?.cancel();
          tap = !tapValid ? undefined : opts.diff === 'worker' ? DiffMeter.shared().open() : new InlineTap();
          const limiter: Limiter = new Limiter(desc.size - base, (n) => {
            transferred += n;
            if (opts.cancelled?.()) limiter.destroy(new TugError('INTERNAL', 'cancelled'));
            opts.onProgress?.(base + limiter.seen, desc.size);
          }, what, tap);
          await pipeline(res.body, limiter, w.stream());
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
      const diff = tapValid && tap ? await tap.result(desc.digest, desc.size) : undefined;
      if (!tapValid) tap?.cancel();
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
