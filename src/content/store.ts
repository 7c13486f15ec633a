// The content-addressed blob store every part of tug shares (images, builder,
// registry). Roles as in containerd: read (info/open/readBytes), ingest
// (writer/write), manage (walk/delete/ingests/abortIngest). Deleting
// unreferenced blobs is the garbage collector's job (src/meta/gc.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { open, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256 } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';
import { TugError, errnoCode } from '../util/errors.js';
import { Layout, OCI_LAYOUT_FILE, OCI_LAYOUT_CONTENT, OCI_INDEX_FILE, EMPTY_INDEX } from './layout.js';
import { IngestWriter, type Committed, type ContentWriter, type Expected } from './writer.js';
import { touchIfExists } from './fsutil.js';

export type { Committed, ContentWriter, Expected } from './writer.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export interface ByteRange {
  start: number;
  /** Inclusive, like HTTP Range; defaults to the last byte. */
  end?: number;
}

export const DEFAULT_READ_CAP = 4 * 1024 * 1024;
const HEX64 = /^[a-f0-9]{64}$/;

export class ContentStore {
  readonly layout: Layout;

  private constructor(readonly root: string) {
    this.layout = new Layout(root);
  }

  /** Opens (creating if needed) the store rooted at `root`; callers pass the state root. */
  static open(root: string): ContentStore {
    const store = new ContentStore(root);
    try {
      mkdirSync(store.layout.blobsDir, { recursive: true });
      mkdirSync(store.layout.ingestDir, { recursive: true });
      createOnce(join(root, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
      createOnce(join(root, OCI_INDEX_FILE), EMPTY_INDEX);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new TugError('PERMISSION_DENIED', `cannot write to the state root ${root} (${code})`, {
          hint: 'run tug as root, or choose a state root you own with --root or TUG_ROOT',
          cause: e,
        });
      }
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new TugError('INVALID_ARGUMENT', `the state root ${root} is not a directory`, { hint: 'pass a directory with --root or TUG_ROOT', cause: e });
      }
      throw e;
    }
    return store;
  }

  blobPath(d: Digest): string {
    return this.layout.blobPath(d);
  }

  async has(d: Digest): Promise<boolean> {
    try {
      await this.statBlob(d);
      return true;
    } catch (e) {
      if (e instanceof TugError && e.code === 'NOT_FOUND') return false;
      throw e;
    }
  }

  async info(d: Digest): Promise<BlobInfo> {
    const st = await this.statBlob(d);
    return { digest: d, size: st.size };
  }

  async open(d: Digest, range?: ByteRange): Promise<Readable> {
    const fh = await this.retryMissing(d, () => open(this.blobPath(d), 'r'));
    try {
      if (!range) return fh.createReadStream({ highWaterMark: 1 << 20 });
      const { size } = await fh.stat();
      // As HTTP ranges: the end is clamped to the blob, a start past it is refused.
      const end = Math.min(range.end ?? size - 1, size - 1);
      const valid = Number.isInteger(range.start) && range.start >= 0 && (range.end === undefined || (Number.isInteger(range.end) && range.end >= range.start));
      if (!valid || (range.start >= size && !(size === 0 && range.start === 0))) {
        throw new TugError('INVALID_ARGUMENT', `range ${range.start}-${range.end ?? ''} is outside blob ${d} (${size} bytes)`, {
          hint: 'ranges are inclusive byte offsets within the blob',
        });
      }
      if (size === 0) {
        await fh.close();
        return Readable.from([]);
      }
      return fh.createReadStream({ start: range.start, end, highWaterMark: 1 << 20 });
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  /** Whole small blob (manifest, config, index), verified against its digest. */
  async readBytes(d: Digest, maxBytes = DEFAULT_READ_CAP): Promise<Buffer> {
    const fh = await this.retryMissing(d, () => open(this.blobPath(d), 'r'));
    let buf: Buffer;
    try {
      const { size } = await fh.stat();
      if (size > maxBytes) {
        throw new TugError('INVALID_ARGUMENT', `blob ${d} is ${size} bytes, more than the ${maxBytes} allowed here`, {
          hint: 'manifests and configs are small; this blob is probably a layer',
        });
      }
      buf = await fh.readFile();
    } finally {
      await fh.close();
    }
    // Cheap for small blobs, and catches a disk that rotted a manifest.
    const actual = sha256(buf);
    if (actual !== d) {
      throw new TugError('DIGEST_MISMATCH', `blob ${d} is corrupt on disk: its content hashes to ${actual}`, {
        hint: 'remove the image that uses it and pull or load it again',
      });
    }
    return buf;
  }

  async readJson<T>(d: Digest, maxBytes = DEFAULT_READ_CAP): Promise<T> {
    const buf = await this.readBytes(d, maxBytes);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw new TugError('INVALID_ARGUMENT', `blob ${d} is not valid JSON`, { hint: 'expected a manifest, index or config here' });
    }
  }

  /** Opens an ingest; the same ref resumes an existing one (offset = bytes already there). */
  writer(ref?: string): Promise<ContentWriter> {
    return IngestWriter.open(this.layout, ref ?? uniqueRef());
  }

  /** Streams src into the store and commits it. "Already exists" is success. */
  async write(src: Readable | Buffer, expected: Expected = {}): Promise<Committed> {
    if (Buffer.isBuffer(src)) {
      // Skip the disk when we already have it; the bytes are still checked.
      const actual = sha256(src);
      if ((expected.digest === undefined || actual === expected.digest) && (expected.size === undefined || expected.size === src.length)) {
        if (await touchIfExists(this.blobPath(actual))) return { digest: actual, size: src.length };
      }
    }
    if (expected.digest && !Buffer.isBuffer(src) && (await touchIfExists(this.blobPath(expected.digest)))) {
      // Already stored: consume and verify the source (a tar entry must be read
      // through anyway) without writing it to disk a second time.
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of src) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (digest === expected.digest && (expected.size === undefined || expected.size === size)) return { digest, size };
      throw new TugError('DIGEST_MISMATCH', `digest mismatch: expected ${expected.digest} (${expected.size ?? '?'} bytes), got ${digest} (${size} bytes)`, {
        hint: 'the content does not match its descriptor; nothing was stored',
      });
    }
    const w = await this.writer();
    try {
      if (Buffer.isBuffer(src)) await w.write(src);
      else await pipeline(src, w.stream());
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w.commit(expected);
  }

  /** Re-hashes a stored blob (fsck, or before serving a blob of doubtful origin); DIGEST_MISMATCH if it rotted. */
  async verify(d: Digest): Promise<BlobInfo> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of await this.open(d)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== d) {
      throw new TugError('DIGEST_MISMATCH', `blob ${d} is corrupt on disk: its content hashes to ${actual}`, {
        hint: 'remove the image that uses it and pull or load it again',
      });
    }
    return { digest: d, size };
  }

  /** Removes a blob now. Only the garbage collector should call this: other processes may share the blob. */
  async delete(d: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(d));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw missing(d);
      throw e;
    }
  }

  async *walk(): AsyncIterable<{ digest: Digest; size: number; mtimeMs: number }> {
    for (const name of await readdir(this.layout.blobsDir)) {
      if (!HEX64.test(name)) continue;
      try {
        const st = await stat(join(this.layout.blobsDir, name));
        if (st.isFile()) yield { digest: `sha256:${name}`, size: st.size, mtimeMs: st.mtimeMs };
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e; // deleted while we walked
      }
    }
  }

  async *ingests(): AsyncIterable<{ ref: string; size: number; mtimeMs: number }> {
    let names: string[];
    try {
      names = await readdir(this.layout.ingestDir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw e;
    }
    for (const name of names) {
      if (!HEX64.test(name)) continue;
      const dir = join(this.layout.ingestDir, name);
      try {
        const ref = await readFile(join(dir, 'ref'), 'utf8');
        const st = await stat(join(dir, 'data')).catch((e: unknown) => {
          if (errnoCode(e) === 'ENOENT') return undefined;
          throw e;
        });
        const dirSt = await stat(dir);
        yield { ref, size: st?.size ?? 0, mtimeMs: Math.max(st?.mtimeMs ?? 0, dirSt.mtimeMs) };
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e; // committed or aborted while we listed
      }
    }
  }

  async abortIngest(ref: string): Promise<void> {
    const dir = this.layout.ingestPath(ref);
    try {
      await stat(dir);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new TugError('NOT_FOUND', `no ingest "${ref}"`);
      throw e;
    }
    await rm(dir, { recursive: true, force: true });
  }

  private statBlob(d: Digest) {
    return this.retryMissing(d, () => stat(this.blobPath(d)));
  }

  /**
   * Runs fn; on ENOENT, and only while the garbage collector has this blob
   * parked in its trash for a re-check (microseconds), waits and retries, so
   * a blob that survives the re-check never looks missing. Otherwise NOT_FOUND.
   */
  private async retryMissing<T>(d: Digest, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
        // Up to ~2.5 s in all: the collector's window is tiny, but a loaded machine may deschedule it.
        if (attempt >= 12 || !(await this.parkedByGc(d))) throw missing(d);
        await new Promise((r) => setTimeout(r, Math.min(5 * 2 ** attempt, 500)));
      }
    }
  }

  private async parkedByGc(d: Digest): Promise<boolean> {
    const hex = this.blobPath(d).slice(this.layout.blobsDir.length + 1);
    try {
      return (await readdir(this.layout.trashDir)).some((n) => n.startsWith(hex));
    } catch {
      return false;
    }
  }
}

function missing(d: Digest): TugError {
  return new TugError('NOT_FOUND', `blob ${d} not found`, { hint: 'the content store does not have this blob' });
}

function createOnce(path: string, content: string): void {
  try {
    writeFileSync(path, content, { flag: 'wx' });
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
}

function uniqueRef(): string {
  return `tmp-${process.pid}-${randomBytes(8).toString('hex')}`;
}
