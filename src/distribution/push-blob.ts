// Uploading one blob from the content store: HEAD first (skip what the
// repository has), then a cross-repository mount when we know another
// repository of the same registry holds it, else an upload: one PUT for small
// blobs, PATCH chunks with Content-Range for large ones, resuming a failed
// chunk from the offset the registry reports.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ContentStore } from '../content/index.js';
import type { Descriptor } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import type { RegistryClient, UploadSession } from './client.js';
import { RegistryError, isRetryableStatus } from './errors.js';
import { forgetSource, mountSources } from './sources.js';
import { ConnectionError, type ReplayableBody } from './transport.js';

export interface PushBlobOptions {
  /** State root, for the blob-source table (mount candidates); omit to never mount. */
  root?: string;
  /** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size (default 64 MiB, TUG_PUSH_CHUNK_SIZE). */
  chunkSize?: number;
  onProgress?: (current: number, total: number) => void;
  /** Retries of a failed chunk (default 5). */
  retries?: number;
}

export type PushBlobOutcome = { kind: 'exists' } | { kind: 'mounted'; from: string } | { kind: 'pushed' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function defaultChunkSize(): number {
  const env = Number(process.env.TUG_PUSH_CHUNK_SIZE);
  return Number.isSafeInteger(env) && env > 0 ? env : 64 * 1024 * 1024;
}

export async function pushBlobFrom(client: RegistryClient, repository: string, desc: Descriptor, store: ContentStore, opts: PushBlobOptions = {}): Promise<PushBlobOutcome> {
  if ((await client.headBlob(repository, desc.digest, 'pull,push')) !== undefined) return { kind: 'exists' };
  const info = await store.info(desc.digest);
  if (info.size !== desc.size) {
    throw new TugError('DIGEST_MISMATCH', `local blob ${desc.digest} is ${info.size} bytes, its descriptor says ${desc.size}`);
  }
  let session: UploadSession | undefined;
  if (opts.root) {
    for (const from of mountSources(opts.root, client.host, repository, desc.digest)) {
      const r = await client.startUpload(repository, { digest: desc.digest, from });
      if (r === 'mounted') return { kind: 'mounted', from };
      // 202: the registry could not mount (blob gone there, or no access) and opened an upload instead
      forgetSource(opts.root, client.host, from, desc.digest);
      session = r;
      break;
    }
  }
  session ??= (await client.startUpload(repository)) as UploadSession;
  const chunk = opts.chunkSize ?? defaultChunkSize();
  const size = desc.size;
  let sent = 0;
  const report = (n: number): void => {
    sent += n;
    opts.onProgress?.(Math.min(sent, size), size);
  };
  try {
    if (size <= chunk) {
      const body: ReplayableBody = {
        length: size,
        open: () => {
          sent = 0;
          return openRange(store, desc, 0, size, report);
        },
      };
      await client.putBlob(repository, session, desc.digest, body);
      return { kind: 'pushed' };
    }
    let offset = 0;
    let failures = 0;
    const retries = opts.retries ?? 5;
    while (offset < size) {
      const len = Math.min(chunk, size - offset);
      const start = offset;
      const body: ReplayableBody = { length: len, open: () => openRange(store, desc, start, len, report) };
      try {
        session = await client.patchChunk(repository, session, start, body);
        offset += len;
        failures = 0;
      } catch (e) {
        const retryable = e instanceof ConnectionError || (e instanceof RegistryError && (isRetryableStatus(e.status) || e.status === 416));
        if (!retryable || failures >= retries) throw e;
        await sleep(250 * 2 ** failures++);
        // ask the registry how much it holds, and continue from there
        const st = await client.uploadStatus(repository, session, offset);
        offset = st.offset;
        session = st.session;
        sent = offset;
      }
    }
    await client.finishUpload(repository, session, desc.digest);
    return { kind: 'pushed' };
  } catch (e) {
    await client.cancelUpload(repository, session);
    throw e;
  }
}

/** A stream over [start, start+len) of a stored blob, counting what is read. */
function openRange(store: ContentStore, desc: Descriptor, start: number, len: number, onBytes: (n: number) => void): Readable {
  const src = createReadStream(store.blobPath(desc.digest), len === 0 ? { highWaterMark: 1 << 20 } : { start, end: start + len - 1, highWaterMark: 1 << 20 });
  // the transport pipes it in this same tick, so no chunk is emitted before both listeners exist
  src.on('data', (c: Buffer | string) => onBytes(c.length));
  return src;
}
