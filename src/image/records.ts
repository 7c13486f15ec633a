// Reading and writing the image tables. Synchronous (better-sqlite3); every
// write runs inside writeTx so concurrent tug processes serialise cleanly.
import type { Db } from '../meta/db.js';
import type { Digest } from '../oci/types.js';
import type { ImageRecord, LayerRecord } from './types.js';

interface ImageRow {
  id: string;
  manifest_digest: string;
  manifest_media_type: string;
  created: string;
  size: number;
  parent: string | null;
  added_at: string;
  last_tag_time: string | null;
}

interface LayerRow {
  image_id: string;
  idx: number;
  diff_id: string;
  digest: string;
  media_type: string;
  chain_id: string;
  size: number;
  diff_size: number;
}

export interface NewImageRow {
  id: Digest;
  manifestDigest: Digest;
  manifestMediaType: string;
  created: string;
  size: number;
  parent: Digest | null;
  layers: LayerRecord[];
}

export class ImageRecords {
  constructor(readonly db: Db) {}

  private hydrate(rows: ImageRow[]): ImageRecord[] {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const marks = ids.map(() => '?').join(',');
    const names = this.db.prepare(`SELECT image_id, name FROM image_names WHERE image_id IN (${marks}) ORDER BY tagged_at, name`).all(...ids) as Array<{ image_id: string; name: string }>;
    const digests = this.db.prepare(`SELECT image_id, repository, digest FROM image_repo_digests WHERE image_id IN (${marks}) ORDER BY repository, digest`).all(...ids) as Array<{ image_id: string; repository: string; digest: string }>;
    const layers = this.db.prepare(`SELECT * FROM image_layers WHERE image_id IN (${marks}) ORDER BY image_id, idx`).all(...ids) as LayerRow[];
    const byId = new Map<string, ImageRecord>();
    for (const r of rows) {
      byId.set(r.id, {
        id: r.id,
        manifestDigest: r.manifest_digest,
        manifestMediaType: r.manifest_media_type,
        created: r.created,
        size: r.size,
        parent: r.parent,
        addedAt: r.added_at,
        lastTagTime: r.last_tag_time,
        names: [],
        repoDigests: [],
        layers: [],
      });
    }
    for (const n of names) byId.get(n.image_id)?.names.push(n.name);
    for (const d of digests) byId.get(d.image_id)?.repoDigests.push(`${d.repository}@${d.digest}`);
    for (const l of layers) {
      byId.get(l.image_id)?.layers.push({ diffID: l.diff_id, digest: l.digest, mediaType: l.media_type, chainID: l.chain_id, size: l.size, diffSize: l.diff_size });
    }
    return rows.map((r) => byId.get(r.id) as ImageRecord);
  }

  all(): ImageRecord[] {
    return this.hydrate(this.db.prepare('SELECT * FROM images ORDER BY created DESC, added_at DESC').all() as ImageRow[]);
  }

  byId(id: Digest): ImageRecord | undefined {
    return this.hydrate(this.db.prepare('SELECT * FROM images WHERE id = ?').all(id) as ImageRow[])[0];
  }

  /** Ids starting with a hex prefix (without "sha256:"). */
  idsByPrefix(hexPrefix: string): Digest[] {
    const lo = `sha256:${hexPrefix}`;
    return (this.db.prepare('SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2').all(lo, `${lo}\uffff`) as Array<{ id: string }>).map((r) => r.id);
  }

  idByName(name: string): Digest | undefined {
    return (this.db.prepare('SELECT image_id FROM image_names WHERE name = ?').get(name) as { image_id: string } | undefined)?.image_id;
  }

  idByRepoDigest(repository: string, digest: Digest): Digest | undefined {
    const row = this.db.prepare('SELECT image_id FROM image_repo_digests WHERE repository = ? AND digest = ?').get(repository, digest) as { image_id: string } | undefined;
    if (row) return row.image_id;
    // name@digest of an image we hold under that repository by another path (e.g. loaded)
    const byManifest = this.db.prepare(
      `SELECT i.id FROM images i WHERE i.manifest_digest = ? AND (
         EXISTS (SELECT 1 FROM image_names n WHERE n.image_id = i.id AND n.repository = ?))`,
    ).get(digest, repository) as { id: string } | undefined;
    return byManifest?.id;
  }

  childrenOf(id: Digest): Digest[] {
    return (this.db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as Array<{ id: string }>).map((r) => r.id);
  }

  hasChildren(): Set<Digest> {
    return new Set((this.db.prepare('SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL').all() as Array<{ parent: string }>).map((r) => r.parent));
  }

  /** Inserts the image if new (returns false if it existed). Call inside writeTx. */
  insertImage(img: NewImageRow, now: string): boolean {
    const res = this.db.prepare(
      `INSERT INTO images (id, manifest_digest, manifest_media_type, created, size, parent, added_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    ).run(img.id, img.manifestDigest, img.manifestMediaType, img.created, img.size, img.parent, now);
    if (res.changes === 0) {
      // Known image: a later parent (a build step result) is still worth keeping.
      if (img.parent) this.db.prepare('UPDATE images SET parent = ? WHERE id = ? AND parent IS NULL').run(img.parent, img.id);
      return false;
    }
    const ins = this.db.prepare('INSERT INTO image_layers (image_id, idx, diff_id, digest, media_type, chain_id, size, diff_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    img.layers.forEach((l, i) => ins.run(img.id, i, l.diffID, l.digest, l.mediaType, l.chainID, l.size, l.diffSize));
    return true;
  }

  /** Points name at id; returns the image it pointed at before, if another. Call inside writeTx. */
  setName(name: string, repository: string, tag: string, id: Digest, now: string): Digest | undefined {
    const prev = this.idByName(name);
    this.db.prepare(
      `INSERT INTO image_names (name, repository, tag, image_id, tagged_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, tagged_at = excluded.tagged_at`,
    ).run(name, repository, tag, id, now);
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(now, id);
    return prev !== id ? prev : undefined;
  }

  removeName(name: string): boolean {
    return this.db.prepare('DELETE FROM image_names WHERE name = ?').run(name).changes > 0;
  }

  addRepoDigest(repository: string, digest: Digest, id: Digest): void {
    this.db.prepare(
      `INSERT INTO image_repo_digests (repository, digest, image_id) VALUES (?, ?, ?)
       ON CONFLICT(repository, digest) DO UPDATE SET image_id = excluded.image_id`,
    ).run(repository, digest, id);
  }

  removeRepoDigests(id: Digest, repository?: string): void {
    if (repository) this.db.prepare('DELETE FROM image_repo_digests WHERE image_id = ? AND repository = ?').run(id, repository);
    else this.db.prepare('DELETE FROM image_repo_digests WHERE image_id = ?').run(id);
  }

  deleteImage(id: Digest): void {
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    // Children keep existing; they simply lose their parent link (docker's rmi of a parent needs -f, checked by the caller).
    this.db.prepare('UPDATE images SET parent = NULL WHERE parent = ?').run(id);
  }

  diffOf(digest: Digest): { diffID: Digest; diffSize: number } | undefined {
    const r = this.db.prepare('SELECT diff_id, diff_size FROM layer_diffs WHERE digest = ?').get(digest) as { diff_id: string; diff_size: number } | undefined;
    return r && { diffID: r.diff_id, diffSize: r.diff_size };
  }

  rememberDiff(digest: Digest, diffID: Digest, diffSize: number): void {
    this.db.prepare('INSERT INTO layer_diffs (digest, diff_id, diff_size) VALUES (?, ?, ?) ON CONFLICT(digest) DO NOTHING').run(digest, diffID, diffSize);
  }

  /** chainIDs of every recorded image's layers (snapshots still needed). */
  allChainIDs(): Digest[] {
    return (this.db.prepare('SELECT DISTINCT chain_id FROM image_layers').all() as Array<{ chain_id: string }>).map((r) => r.chain_id);
  }

  /** Every blob an image references (manifest, config, layers): GC roots. */
  referencedBlobs(): Digest[] {
    const rows = this.db.prepare(
      `SELECT manifest_digest AS d FROM images UNION SELECT id FROM images UNION SELECT digest FROM image_layers`,
    ).all() as Array<{ d: string }>;
    return rows.map((r) => r.d);
  }
}
