// SQL for the registry's tables. Every multi-row change is one write
// transaction, so a manifest and the links it depends on appear (and
// disappear) together for any other process reading the database.
import { writeTx, type Db } from '../meta/db.js';

export interface ManifestRow {
  repo: string;
  digest: string;
  media_type: string;
  size: number;
  artifact_type: string | null;
  subject: string | null;
}

export interface ReferrerRow {
  digest: string;
  media_type: string;
  artifact_type: string | null;
  size: number;
  annotations: string | null;
}

export interface UploadRow {
  id: string;
  repo: string;
  ingest_ref: string;
  created_at: number;
  updated_at: number;
}

export interface NewManifest {
  repo: string;
  digest: string;
  mediaType: string;
  size: number;
  artifactType?: string;
  subject?: string;
  annotations?: Record<string, string>;
  /** Digests this manifest references (blobs and child manifests). */
  refs: string[];
  tag?: string;
}

export class RepoDb {
  constructor(readonly db: Db) {}

  private get(sql: string, ...args: unknown[]): unknown {
    return this.db.prepare(sql).get(...args);
  }

  private all<T>(sql: string, ...args: unknown[]): T[] {
    return this.db.prepare(sql).all(...args) as T[];
  }

  repoExists(repo: string): boolean {
    return this.get('SELECT 1 FROM registry_repos WHERE name = ?', repo) !== undefined;
  }

  private ensureRepo(repo: string, now: number): void {
    this.db.prepare('INSERT OR IGNORE INTO registry_repos (name, created_at) VALUES (?, ?)').run(repo, now);
  }

  /** The size of `digest` if the repository may serve it: a linked blob, or one of its manifests. */
  blobInRepo(repo: string, digest: string): number | undefined {
    const row = (this.get('SELECT size FROM registry_repo_blobs WHERE repo = ? AND digest = ?', repo, digest) ??
      this.get('SELECT size FROM registry_manifests WHERE repo = ? AND digest = ?', repo, digest)) as { size: number } | undefined;
    return row?.size;
  }

  isLinked(repo: string, digest: string): boolean {
    return this.get('SELECT 1 FROM registry_repo_blobs WHERE repo = ? AND digest = ?', repo, digest) !== undefined;
  }

  link(repo: string, digest: string, size: number, now = Date.now()): void {
    writeTx(this.db, () => this.linkInTx(repo, digest, size, now));
  }

  private linkInTx(repo: string, digest: string, size: number, now: number): void {
    this.ensureRepo(repo, now);
    this.db
      .prepare('INSERT INTO registry_repo_blobs (repo, digest, size, linked_at) VALUES (?, ?, ?, ?) ON CONFLICT(repo, digest) DO UPDATE SET linked_at = excluded.linked_at')
      .run(repo, digest, size, now);
  }

  /** Links `digest` into `repo` if `from` links it; one transaction, so a concurrent link cleanup cannot slip between. */
  mount(repo: string, from: string, digest: string, now = Date.now()): number | undefined {
    return writeTx(this.db, () => {
      const row = this.get('SELECT size FROM registry_repo_blobs WHERE repo = ? AND digest = ?', from, digest) as { size: number } | undefined;
      if (!row) return undefined;
      this.linkInTx(repo, digest, row.size, now);
      return row.size;
    });
  }

  unlink(repo: string, digest: string): boolean {
    return this.db.prepare('DELETE FROM registry_repo_blobs WHERE repo = ? AND digest = ?').run(repo, digest).changes > 0;
  }

  manifest(repo: string, digest: string): ManifestRow | undefined {
    return this.get('SELECT * FROM registry_manifests WHERE repo = ? AND digest = ?', repo, digest) as ManifestRow | undefined;
  }

  tag(repo: string, tag: string): string | undefined {
    return (this.get('SELECT digest FROM registry_tags WHERE repo = ? AND tag = ?', repo, tag) as { digest: string } | undefined)?.digest;
  }

  /**
   * Records a manifest, what it references, its subject and its tag, after
   * re-checking in the same transaction that every referenced blob is still
   * linked (so link cleanup and this insert are ordered). Returns the
   * digests that are not there.
   */
  putManifest(m: NewManifest, blobs: Array<{ digest: string; size: number }>, children: string[], now = Date.now()): string[] {
    return writeTx(this.db, () => {
      const missing: string[] = [];
      for (const b of blobs) {
        const row = this.get('SELECT size FROM registry_repo_blobs WHERE repo = ? AND digest = ?', m.repo, b.digest) as { size: number } | undefined;
        if (!row || row.size !== b.size) missing.push(b.digest);
      }
      for (const c of children) if (!this.manifest(m.repo, c)) missing.push(c);
      if (missing.length) return missing;
      this.ensureRepo(m.repo, now);
      this.db
        .prepare(
          `INSERT INTO registry_manifests (repo, digest, media_type, size, artifact_type, subject, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(repo, digest) DO UPDATE SET media_type = excluded.media_type`,
        )
        .run(m.repo, m.digest, m.mediaType, m.size, m.artifactType ?? null, m.subject ?? null, now);
      const ref = this.db.prepare('INSERT OR IGNORE INTO registry_manifest_refs (repo, manifest, child) VALUES (?, ?, ?)');
      for (const r of m.refs) ref.run(m.repo, m.digest, r);
      if (m.subject) {
        this.db
          .prepare('INSERT OR REPLACE INTO registry_referrers (repo, subject, digest, media_type, artifact_type, size, annotations) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(m.repo, m.subject, m.digest, m.mediaType, m.artifactType ?? null, m.size, m.annotations ? JSON.stringify(m.annotations) : null);
      }
      if (m.tag) {
        this.db
          .prepare('INSERT INTO registry_tags (repo, tag, digest, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(repo, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at')
          .run(m.repo, m.tag, m.digest, now);
      }
      return [];
    });
  }

  /** Removes a manifest with its tags, references and referrer entry. */
  deleteManifest(repo: string, digest: string): boolean {
    return writeTx(this.db, () => {
      const n = this.db.prepare('DELETE FROM registry_manifests WHERE repo = ? AND digest = ?').run(repo, digest).changes;
      if (n === 0) return false;
      this.db.prepare('DELETE FROM registry_tags WHERE repo = ? AND digest = ?').run(repo, digest);
      this.db.prepare('DELETE FROM registry_manifest_refs WHERE repo = ? AND manifest = ?').run(repo, digest);
      this.db.prepare('DELETE FROM registry_referrers WHERE repo = ? AND digest = ?').run(repo, digest);
      return true;
    });
  }

  deleteTag(repo: string, tag: string): boolean {
    return writeTx(this.db, () => this.db.prepare('DELETE FROM registry_tags WHERE repo = ? AND tag = ?').run(repo, tag).changes > 0);
  }

  /** Up to `limit` tags after `last`, in byte order. */
  tags(repo: string, last: string | undefined, limit: number): string[] {
    return this.all<{ tag: string }>('SELECT tag FROM registry_tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?', repo, last ?? '', limit).map((r) => r.tag);
  }

  repos(last: string | undefined, limit: number): string[] {
    return this.all<{ name: string }>('SELECT name FROM registry_repos WHERE name > ? ORDER BY name LIMIT ?', last ?? '', limit).map((r) => r.name);
  }

  referrers(repo: string, subject: string): ReferrerRow[] {
    return this.all<ReferrerRow>('SELECT digest, media_type, artifact_type, size, annotations FROM registry_referrers WHERE repo = ? AND subject = ? ORDER BY digest', repo, subject);
  }

  // ---- upload sessions ----
  createUpload(id: string, repo: string, ingestRef: string, now = Date.now()): void {
    writeTx(this.db, () => this.db.prepare('INSERT INTO registry_uploads (id, repo, ingest_ref, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(id, repo, ingestRef, now, now));
  }

  upload(id: string): UploadRow | undefined {
    return this.get('SELECT * FROM registry_uploads WHERE id = ?', id) as UploadRow | undefined;
  }

  touchUpload(id: string, now = Date.now()): void {
    writeTx(this.db, () => this.db.prepare('UPDATE registry_uploads SET updated_at = ? WHERE id = ?').run(now, id));
  }

  deleteUpload(id: string): void {
    writeTx(this.db, () => this.db.prepare('DELETE FROM registry_uploads WHERE id = ?').run(id));
  }

  /** Finishes an upload: the blob becomes linked and the session disappears, together. */
  completeUpload(id: string, repo: string, digest: string, size: number, now = Date.now()): void {
    writeTx(this.db, () => {
      this.linkInTx(repo, digest, size, now);
      this.db.prepare('DELETE FROM registry_uploads WHERE id = ?').run(id);
    });
  }

  uploads(): UploadRow[] {
    return this.all<UploadRow>('SELECT * FROM registry_uploads');
  }

  // ---- garbage collection ----
  /** Every digest the registry holds on to: linked blobs, manifests, and what manifests reference. */
  rootDigests(without?: Set<string>): Set<string> {
    const out = new Set<string>();
    if (without?.size) {
      // a dry run: leave out the links the cleanup would have dropped ("repo\0digest")
      for (const r of this.all<{ repo: string; digest: string }>('SELECT repo, digest FROM registry_repo_blobs')) if (!without.has(`${r.repo}\0${r.digest}`)) out.add(r.digest);
      for (const r of this.all<{ d: string }>('SELECT DISTINCT digest AS d FROM registry_manifests UNION SELECT DISTINCT child FROM registry_manifest_refs')) out.add(r.d);
      return out;
    }
    for (const r of this.all<{ d: string }>('SELECT DISTINCT digest AS d FROM registry_repo_blobs UNION SELECT DISTINCT digest FROM registry_manifests UNION SELECT DISTINCT child FROM registry_manifest_refs')) out.add(r.d);
    return out;
  }

  /**
   * Drops links that nothing in their repository uses any more: not named by
   * a manifest there, and older than the grace period (a blob just pushed is
   * waiting for its manifest). One transaction: a manifest PUT either lands
   * first (and keeps the link) or finds the link gone (MANIFEST_BLOB_UNKNOWN).
   */
  unlinkUnused(olderThan: number, dryRun = false): Array<{ repo: string; digest: string }> {
    return writeTx(this.db, () => {
      const rows = this.all<{ repo: string; digest: string }>(
        `SELECT b.repo, b.digest FROM registry_repo_blobs b
          WHERE b.linked_at < ?
            AND NOT EXISTS (SELECT 1 FROM registry_manifest_refs r WHERE r.repo = b.repo AND r.child = b.digest)
            AND NOT EXISTS (SELECT 1 FROM registry_manifests m WHERE m.repo = b.repo AND m.digest = b.digest)`,
        olderThan,
      );
      if (!dryRun) {
        const del = this.db.prepare('DELETE FROM registry_repo_blobs WHERE repo = ? AND digest = ?');
        for (const r of rows) del.run(r.repo, r.digest);
      }
      return rows;
    });
  }

  /** Untagged manifests that no index in their repository includes (what --delete-untagged removes). */
  untaggedManifests(): Array<{ repo: string; digest: string }> {
    return this.all<{ repo: string; digest: string }>(
      `SELECT m.repo, m.digest FROM registry_manifests m
        WHERE NOT EXISTS (SELECT 1 FROM registry_tags t WHERE t.repo = m.repo AND t.digest = m.digest)
          AND NOT EXISTS (SELECT 1 FROM registry_manifest_refs r WHERE r.repo = m.repo AND r.child = m.digest)
          AND m.subject IS NULL`,
    );
  }
}
