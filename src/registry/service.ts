// The registry service: repositories, blobs, manifests, tags, referrers and
// uploads over the shared content store and the metadata database. The HTTP
// routes only translate requests into these calls (and errors into the spec's
// JSON), so `tug` commands and tests can drive the same logic.
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ContentStore } from '../content/index.js';
import type { Db } from '../meta/db.js';
import { sha256 } from '../oci/digest.js';
import { MediaType } from '../oci/mediatypes.js';
import type { Descriptor, Index } from '../oci/types.js';
import { errnoCode, isTugError } from '../util/errors.js';
import { RegistryError } from './errors.js';
import { parseManifest } from './manifest.js';
import { checkDigest, checkName, parseReference } from './names.js';
import { RepoDb } from './repo-db.js';
import { Uploads, type ChunkRange } from './uploads.js';

export interface RegistryServiceOptions {
  /** Idle upload sessions older than this are dropped (default 24 h). */
  uploadTtlMs?: number;
}

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
  body: Buffer;
}

export interface BlobStat {
  digest: string;
  size: number;
}

export class RegistryService {
  readonly rdb: RepoDb;
  readonly uploads: Uploads;

  constructor(
    readonly store: ContentStore,
    readonly db: Db,
    opts: RegistryServiceOptions = {},
  ) {
    this.rdb = new RepoDb(db);
    this.uploads = new Uploads(store, this.rdb, opts.uploadTtlMs ?? 24 * 3600_000);
  }

  // ---- blobs ----
  async statBlob(repo: string, digest: string): Promise<BlobStat> {
    checkName(repo);
    checkDigest(digest);
    const size = this.rdb.blobInRepo(repo, digest);
    if (size === undefined || !(await this.store.has(digest))) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
    return { digest, size };
  }

  /**
   * Opens a blob (or the inclusive byte range of one) the repository may
   * serve: a file handle the HTTP layer reads with its own reused buffers,
   * or, in the rare case the collector has the blob parked for a re-check,
   * the store's stream (which waits that out).
   */
  async openBlob(repo: string, digest: string, range?: { start: number; end: number }): Promise<FileHandle | Readable> {
    await this.statBlob(repo, digest);
    try {
      return await open(this.store.blobPath(digest), 'r');
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
    }
    try {
      // the collector may have it parked for a re-check: the store waits that out
      return await this.store.open(digest, range);
    } catch (e) {
      if (isTugError(e, 'NOT_FOUND')) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
      throw e;
    }
  }

  /** Removes the blob from the repository; the bytes go when GC finds nothing else uses them. */
  deleteBlob(repo: string, digest: string): void {
    checkName(repo);
    checkDigest(digest);
    if (!this.rdb.unlink(repo, digest)) throw new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { digest });
  }

  /** Cross-repository mount: only when `from` holds the blob (the caller checked read access). */
  async mount(repo: string, from: string, digest: string): Promise<BlobStat | undefined> {
    checkName(repo);
    checkName(from);
    checkDigest(digest);
    if (!(await this.store.has(digest))) return undefined;
    const size = this.rdb.mount(repo, from, digest);
    return size === undefined ? undefined : { digest, size };
  }

  // ---- uploads ----
  startUpload(repo: string): Promise<{ id: string; offset: number }> {
    checkName(repo);
    return this.uploads.start(repo);
  }

  uploadStatus(repo: string, id: string): Promise<number> {
    checkName(repo);
    return this.uploads.status(repo, id);
  }

  appendUpload(repo: string, id: string, body: Readable, range: ChunkRange | undefined, contentLength: number | undefined): Promise<number> {
    checkName(repo);
    return this.uploads.append(repo, id, body, range, contentLength);
  }

  finishUpload(repo: string, id: string, digest: string | null, body: Readable | undefined, range: ChunkRange | undefined, contentLength: number | undefined): Promise<BlobStat> {
    checkName(repo);
    if (!digest) throw new RegistryError('DIGEST_INVALID', 'the closing PUT needs ?digest=');
    checkDigest(digest);
    return this.uploads.finish(repo, id, digest, body, range, contentLength);
  }

  cancelUpload(repo: string, id: string): Promise<void> {
    checkName(repo);
    return this.uploads.cancel(repo, id);
  }

  // ---- manifests ----
  resolve(repo: string, ref: string): string {
    checkName(repo);
    const r = parseReference(ref);
    if (r.kind === 'digest') {
      if (!this.rdb.manifest(repo, r.digest)) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest: r.digest });
      return r.digest;
    }
    const d = this.rdb.tag(repo, r.tag);
    if (!d) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { tag: r.tag });
    return d;
  }

  async getManifest(repo: string, ref: string): Promise<StoredManifest> {
    const digest = this.resolve(repo, ref);
    const row = this.rdb.manifest(repo, digest);
    if (!row) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest });
    let body: Buffer;
    try {
      body = await this.store.readBytes(digest, 8 * 1024 * 1024);
    } catch (e) {
      if (isTugError(e, 'NOT_FOUND')) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest });
      throw e;
    }
    return { digest, mediaType: row.media_type, size: row.size, body };
  }

  async statManifest(repo: string, ref: string): Promise<Omit<StoredManifest, 'body'>> {
    const digest = this.resolve(repo, ref);
    const row = this.rdb.manifest(repo, digest);
    if (!row) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest });
    return { digest, mediaType: row.media_type, size: row.size };
  }

  /**
   * Stores a manifest under a tag or its digest. Everything it names must
   * already be in the repository (MANIFEST_BLOB_UNKNOWN otherwise); a subject
   * need not exist (the spec lets referrers arrive first).
   */
  async putManifest(repo: string, ref: string, contentType: string | undefined, body: Buffer): Promise<{ digest: string; subject?: string }> {
    checkName(repo);
    const r = parseReference(ref);
    const digest = sha256(body);
    if (r.kind === 'digest' && r.digest !== digest) throw new RegistryError('DIGEST_INVALID', 'manifest digest does not match its content', { expected: r.digest, got: digest });
    const parsed = parseManifest(body, contentType);
    // the bytes first: a manifest row never points at content that is not there
    await this.store.write(body, { digest, size: body.length });
    const blobs = parsed.blobs.map((d) => ({ digest: d.digest, size: d.size }));
    for (const b of blobs) {
      if (!(await this.store.has(b.digest))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'blob unknown to registry', { digest: b.digest });
    }
    const missing = this.rdb.putManifest(
      {
        repo,
        digest,
        mediaType: parsed.mediaType,
        size: body.length,
        artifactType: parsed.artifactType,
        subject: parsed.subject?.digest,
        annotations: parsed.annotations,
        refs: [...parsed.blobs, ...parsed.children].map((d) => d.digest),
        tag: r.kind === 'tag' ? r.tag : undefined,
      },
      blobs,
      parsed.children.map((c) => c.digest),
    );
    if (missing.length) {
      const isManifest = parsed.children.some((c) => c.digest === missing[0]);
      throw new RegistryError(isManifest ? 'MANIFEST_BLOB_UNKNOWN' : 'MANIFEST_BLOB_UNKNOWN', `${isManifest ? 'manifest' : 'blob'} unknown to registry`, { digest: missing[0] });
    }
    return { digest, subject: parsed.subject?.digest };
  }

  /** DELETE by digest removes the manifest (and its tags); by tag removes only the tag. */
  deleteManifest(repo: string, ref: string): void {
    checkName(repo);
    const r = parseReference(ref);
    if (r.kind === 'tag') {
      if (!this.rdb.deleteTag(repo, r.tag)) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { tag: r.tag });
      return;
    }
    if (!this.rdb.deleteManifest(repo, r.digest)) throw new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown', { digest: r.digest });
  }

  // ---- discovery ----
  /** Tags after `last`, at most n (all when n is undefined); `more` when a next page exists. */
  listTags(repo: string, n: number | undefined, last: string | undefined): { tags: string[]; more: boolean } {
    checkName(repo);
    if (!this.rdb.repoExists(repo)) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { name: repo });
    if (n === 0) return { tags: [], more: false };
    const limit = n ?? -1;
    const rows = this.rdb.tags(repo, last, limit < 0 ? -1 : limit + 1);
    if (limit >= 0 && rows.length > limit) return { tags: rows.slice(0, limit), more: true };
    return { tags: rows, more: false };
  }

  /** Repositories after `last`, at most n, keeping only those `visible` accepts. */
  catalog(n: number | undefined, last: string | undefined, visible: (repo: string) => boolean): { repositories: string[]; more: boolean } {
    if (n === 0) return { repositories: [], more: false };
    const out: string[] = [];
    let cursor = last;
    for (;;) {
      const page = this.rdb.repos(cursor, 500);
      for (const r of page) {
        if (!visible(r)) continue;
        if (n !== undefined && out.length === n) return { repositories: out, more: true };
        out.push(r);
      }
      if (page.length < 500) return { repositories: out, more: false };
      cursor = page[page.length - 1];
    }
  }

  /** The referrers of `digest` in this repository as an OCI index. */
  referrers(repo: string, digest: string, artifactType: string | undefined): Index {
    checkName(repo);
    checkDigest(digest);
    const manifests: Descriptor[] = [];
    for (const r of this.rdb.referrers(repo, digest)) {
      if (artifactType !== undefined && r.artifact_type !== artifactType) continue;
      const d: Descriptor = { mediaType: r.media_type, digest: r.digest, size: r.size };
      if (r.artifact_type) d.artifactType = r.artifact_type;
      if (r.annotations) d.annotations = JSON.parse(r.annotations) as Record<string, string>;
      manifests.push(d);
    }
    return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests };
  }
}
