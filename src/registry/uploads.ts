// Upload sessions. Each is a resumable content-store ingest (ref
// "registry-upload-<id>") plus a row naming its repository. The writer stays
// open between requests; after a restart the next request reopens the ingest,
// which rehashes what is on disk, so a push resumes where the bytes stopped.
// Nothing is visible until PUT ?digest= commits with that digest.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContentStore, ContentWriter } from '../content/index.js';
import { isTugError } from '../util/errors.js';
import { RegistryError } from './errors.js';
import type { RepoDb } from './repo-db.js';

export const UPLOAD_REF_PREFIX = 'registry-upload-';
/** Open sessions per server process (each holds a file descriptor). */
export const MAX_OPEN_UPLOADS = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ChunkRange {
  start: number;
  end: number;
}

interface Open {
  writer: ContentWriter;
  busy: boolean;
}

export class Uploads {
  private open = new Map<string, Open>();

  constructor(
    private readonly store: ContentStore,
    private readonly rdb: RepoDb,
    /** Sessions untouched for this long are dropped by cleanStale(). */
    readonly ttlMs: number,
  ) {}

  async start(repo: string): Promise<{ id: string; offset: number }> {
    // each open session holds a file descriptor until it is finished, cancelled or goes stale
    if (this.open.size >= MAX_OPEN_UPLOADS) {
      await this.cleanStale();
      if (this.open.size >= MAX_OPEN_UPLOADS) throw new RegistryError('TOOMANYREQUESTS', 'too many upload sessions in progress; finish or cancel some', { limit: MAX_OPEN_UPLOADS });
    }
    const id = randomUUID();
    const writer = await this.store.writer(UPLOAD_REF_PREFIX + id);
    this.rdb.createUpload(id, repo, writer.ref);
    this.open.set(id, { writer, busy: false });
    return { id, offset: 0 };
  }

  /** Runs fn with the session's writer, one request at a time per session. */
  private async with<T>(repo: string, id: string, fn: (w: ContentWriter) => Promise<T>): Promise<T> {
    const row = UUID.test(id) ? this.rdb.upload(id) : undefined;
    if (!row || row.repo !== repo) {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { id: id.slice(0, 80) });
    }
    let entry = this.open.get(id);
    if (entry?.busy) throw new RegistryError('RANGE_INVALID', 'another request is writing to this upload', undefined, { headers: this.headers(repo, id, entry.writer.offset) });
    if (!entry) {
      // after a restart (or another process): reopen the ingest where it stopped,
      // unless it is gone (the collector drops ingests idle for a day): never restart at 0 silently
      if (!existsSync(this.store.layout.ingestPath(row.ingest_ref))) {
        this.rdb.deleteUpload(id);
        throw new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { id });
      }
      try {
        entry = { writer: await this.store.writer(row.ingest_ref), busy: false };
      } catch (e) {
        if (isTugError(e, 'CONFLICT')) throw new RegistryError('RANGE_INVALID', 'upload is in use by another server process');
        throw e;
      }
      this.open.set(id, entry);
    }
    entry.busy = true;
    try {
      return await fn(entry.writer);
    } finally {
      entry.busy = false;
    }
  }

  headers(repo: string, id: string, offset: number): Record<string, string> {
    return {
      Location: `/v2/${repo}/blobs/uploads/${id}`,
      Range: `0-${Math.max(offset - 1, 0)}`,
      'Docker-Upload-UUID': id,
    };
  }

  async status(repo: string, id: string): Promise<number> {
    return this.with(repo, id, async (w) => w.offset);
  }

  /**
   * Appends a request body. With a Content-Range it must start where the
   * upload stands (else 416) and be as long as it says; without one the body
   * is appended (a streamed PATCH). A body cut short stays in the ingest: the
   * offset says how far it got, and the client resumes from there.
   */
  async append(repo: string, id: string, body: Readable, range: ChunkRange | undefined, contentLength: number | undefined): Promise<number> {
    return this.with(repo, id, async (w) => {
      if (range) {
        if (range.start !== w.offset) {
          throw new RegistryError('RANGE_INVALID', `chunk starts at ${range.start}, the upload is at ${w.offset}`, undefined, { headers: this.headers(repo, id, w.offset) });
        }
        if (contentLength !== undefined && contentLength !== range.end - range.start + 1) {
          throw new RegistryError('RANGE_INVALID', 'Content-Range and Content-Length disagree', undefined, { headers: this.headers(repo, id, w.offset) });
        }
      }
      const before = w.offset;
      await pipeline(body, w.stream());
      if (range && w.offset - before !== range.end - range.start + 1) {
        throw new RegistryError('RANGE_INVALID', 'chunk is shorter than its Content-Range', undefined, { headers: this.headers(repo, id, w.offset) });
      }
      this.rdb.touchUpload(id);
      return w.offset;
    });
  }

  /** Appends the final body (if any), verifies the digest, publishes and links the blob. */
  async finish(repo: string, id: string, digest: string, body: Readable | undefined, range: ChunkRange | undefined, contentLength: number | undefined): Promise<{ digest: string; size: number }> {
    if (body) await this.append(repo, id, body, range, contentLength);
    return this.with(repo, id, async (w) => {
      let committed: { digest: string; size: number };
      const got = w.digest();
      try {
        committed = await w.commit({ digest });
      } catch (e) {
        // a failed commit has discarded the ingest: the session is over
        this.open.delete(id);
        this.rdb.deleteUpload(id);
        if (isTugError(e, 'DIGEST_MISMATCH')) throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { digest, got });
        throw e;
      }
      this.open.delete(id);
      this.rdb.completeUpload(id, repo, committed.digest, committed.size);
      return committed;
    });
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.with(repo, id, async (w) => {
      await w.abort();
      this.open.delete(id);
      this.rdb.deleteUpload(id);
    });
  }

  /**
   * Drops sessions nobody touched for ttlMs, session rows whose ingest is gone,
   * and registry ingests without a session (a crash between the two writes).
   * Called at start-up and on a timer.
   */
  async cleanStale(now = Date.now()): Promise<{ sessions: number; ingests: number }> {
    const rows = this.rdb.uploads();
    const byRef = new Map(rows.map((r) => [r.ingest_ref, r]));
    const onDisk = new Map<string, number>();
    for await (const ing of this.store.ingests()) if (ing.ref.startsWith(UPLOAD_REF_PREFIX)) onDisk.set(ing.ref, ing.mtimeMs);
    let sessions = 0;
    let ingests = 0;
    for (const r of rows) {
      const entry = this.open.get(r.id);
      if (entry?.busy) continue;
      const lastActive = Math.max(r.updated_at, onDisk.get(r.ingest_ref) ?? 0);
      const orphanRow = !onDisk.has(r.ingest_ref) && !entry && r.created_at < now - 60_000;
      if (lastActive < now - this.ttlMs || orphanRow) {
        if (entry) await entry.writer.abort().catch(() => {});
        else if (onDisk.has(r.ingest_ref)) await this.store.abortIngest(r.ingest_ref).catch(() => {});
        this.open.delete(r.id);
        this.rdb.deleteUpload(r.id);
        sessions++;
      }
    }
    for (const [ref, mtime] of onDisk) {
      // an ingest with no session: its POST died between creating it and recording it
      if (!byRef.has(ref) && mtime < now - 60_000) {
        await this.store.abortIngest(ref).catch(() => {});
        ingests++;
      }
    }
    return { sessions, ingests };
  }

  openCount(): number {
    return this.open.size;
  }
}
