// An ingest: bytes written under ingest/<hash(ref)>/data, hashed as they
// arrive, invisible to readers until commit verifies size and digest, fsyncs
// and renames the file into blobs/sha256/. A ref can be resumed (by this or a
// later process) as long as nobody else holds it.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Digest } from '../oci/types.js';
import { TugError, errnoCode } from '../util/errors.js';
import type { Layout } from './layout.js';
import { fsyncDir, touchIfExists } from './fsutil.js';

export interface Expected {
  digest?: Digest;
  size?: number;
}

export interface Committed {
  digest: Digest;
  size: number;
}

export interface ContentWriter {
  readonly ref: string;
  /** Bytes in the ingest so far (on resume: what an earlier writer left). */
  readonly offset: number;
  write(chunk: Buffer): Promise<void>;
  /** A Writable over write(), for pipeline(); ending it does not commit. */
  stream(): Writable;
  /** Digest of what was written so far. */
  digest(): Digest;
  /** Verifies and publishes the blob; "already exists" is success. On a mismatch nothing is stored. */
  commit(expected?: Expected): Promise<Committed>;
  /** Drops the ingest. */
  abort(): Promise<void>;
  /** Stops writing but keeps the ingest, so writer(sameRef) can resume it later (upload sessions). */
  close(): Promise<void>;
}

/** Refs held by this process (the lock file covers other processes). */
const heldRefs = new Set<string>();

export class IngestWriter implements ContentWriter {
  private closed = false;
  /** A write that failed part-way leaves the file and the hash out of step: such an ingest can only be aborted. */
  private failed?: unknown;
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly layout: Layout,
    readonly ref: string,
    private readonly dir: string,
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    private size: number,
  ) {}

  get offset(): number {
    return this.size;
  }

  static async open(layout: Layout, ref: string): Promise<IngestWriter> {
    const dir = layout.ingestPath(ref);
    await mkdir(dir, { recursive: true });
    await acquire(dir, ref);
    try {
      await writeFile(join(dir, 'ref'), ref);
      const data = join(dir, 'data');
      // Resume: whatever an earlier writer left is rehashed, so the digest covers every byte.
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of createReadStream(data, { highWaterMark: 1 << 20 })) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
        }
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      const fh = await open(data, 'a');
      return new IngestWriter(layout, ref, dir, fh, hash, size);
    } catch (e) {
      await release(dir, ref);
      throw e;
    }
  }

  write(chunk: Buffer): Promise<void> {
    return this.writeMany([chunk]);
  }

  /**
   * Writes are queued, so overlapping calls still land in order. A chunk is
   * hashed and counted when it is accepted, so offset and digest() are right
   * the moment a pipeline fails, even while its last chunk is still going to
   * disk; a later write or commit waits for it.
   */
  private writeMany(chunks: Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`content writer ${this.ref} is closed`));
    if (this.failed) return Promise.reject(this.failed);
    let total = 0;
    for (const c of chunks) {
      this.hash.update(c);
      total += c.length;
    }
    this.size += total;
    const next = this.pending.then(async () => {
      if (this.failed) throw this.failed;
      let done = 0;
      // writev may write less than asked; loop until every byte is down.
      let bufs = chunks;
      while (done < total) {
        const { bytesWritten } = await this.fh.writev(bufs);
        done += bytesWritten;
        if (done < total) bufs = sliceFrom(chunks, done);
      }
    });
    this.pending = next.catch((e: unknown) => {
      this.failed ??= e;
    });
    return next;
  }

  stream(): Writable {
    return new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => {
        this.write(chunk).then(() => cb(), cb);
      },
      writev: (items, cb) => {
        this.writeMany(items.map((i) => i.chunk as Buffer)).then(() => cb(), cb);
      },
      // Chunks are counted when accepted (offset is right at once); 'close'
      // waits until the accepted ones are also on disk.
      destroy: (err, cb) => {
        this.pending.then(() => cb(err), () => cb(err));
      },
    });
  }

  digest(): Digest {
    return `sha256:${this.hash.copy().digest('hex')}`;
  }

  async commit(expected: Expected = {}): Promise<Committed> {
    this.assertOpen();
    await this.pending;
    this.closed = true;
    if (this.failed) {
      await this.fh.close().catch(() => {});
      await this.discard();
      throw this.failed;
    }
    const data = join(this.dir, 'data');
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
    const size = this.size;
    const digest = `sha256:${this.hash.digest('hex')}`;
    if (expected.size !== undefined && expected.size !== size) {
      await this.discard();
      throw new TugError('DIGEST_MISMATCH', `size mismatch for ${expected.digest ?? digest}: expected ${expected.size} bytes, got ${size} (content ${digest})`, {
        hint: 'the source is truncated or corrupt; nothing was stored',
      });
    }
    if (expected.digest !== undefined && expected.digest !== digest) {
      await this.discard();
      throw new TugError('DIGEST_MISMATCH', `digest mismatch: expected ${expected.digest}, got ${digest}`, {
        hint: 'the content does not match its descriptor; nothing was stored',
      });
    }
    const target = this.layout.blobPath(digest);
    try {
      // Read-only before it becomes visible, so no reader ever sees a writable blob.
      await chmod(data, 0o444);
      // Already there: keep the existing copy (it was verified when it was committed),
      // and refresh its mtime so a concurrent GC's grace period covers this writer too.
      if (!(await touchIfExists(target))) {
        await rename(data, target);
        await fsyncDir(this.layout.blobsDir);
      }
    } finally {
      await this.discard();
    }
    return { digest, size };
  }

  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.pending;
      await this.fh.close().catch(() => {});
    }
    await this.discard();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pending;
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
      await release(this.dir, this.ref);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`content writer ${this.ref} is closed`);
  }

  private async discard(): Promise<void> {
    heldRefs.delete(this.ref);
    await rm(this.dir, { recursive: true, force: true });
  }
}

function sliceFrom(chunks: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    out.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return out;
}

/** Takes the ref: in this process via heldRefs, across processes via a lock file naming our pid. */
async function acquire(dir: string, ref: string): Promise<void> {
  if (heldRefs.has(ref)) throw locked(ref);
  const lock = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      heldRefs.add(ref);
      return;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (holder && holder !== process.pid && pidAlive(holder)) throw locked(ref);
    await unlink(lock).catch(() => {}); // stale: its writer died (or was this process, and was released)
  }
  throw locked(ref);
}

async function release(dir: string, ref: string): Promise<void> {
  heldRefs.delete(ref);
  await unlink(join(dir, 'lock')).catch(() => {});
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function locked(ref: string): TugError {
  return new TugError('CONFLICT', `ingest "${ref}" is being written by another writer`, {
    hint: 'wait for the other writer to finish, or use a different ref',
  });
}
