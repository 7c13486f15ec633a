// Snapshot metadata in the shared SQLite database (module "snapshot"):
// one row per snapshot, committed ones keyed by chainID.
import { openDb, writeTx, type Db, type MigrationSet } from '../meta/db.js';
import type { Digest } from '../oci/types.js';
import { TugError } from '../util/errors.js';

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotRow {
  key: string;
  kind: SnapshotKind;
  parent: string | null;
  /** Directory name under <root>/snapshots/. */
  dir: string;
  /** Short link name under <root>/snapshots/l/ (-> ../<dir>/fs). */
  link: string;
  diff_id: Digest | null;
  size: number | null;
  created: number;
}

export const snapshotMigrations: MigrationSet = {
  module: 'snapshot',
  steps: [
    `CREATE TABLE snapshots (
       key TEXT PRIMARY KEY,
       kind TEXT NOT NULL CHECK (kind IN ('committed', 'active', 'view')),
       parent TEXT REFERENCES snapshots(key),
       dir TEXT NOT NULL UNIQUE,
       link TEXT NOT NULL UNIQUE,
       diff_id TEXT,
       size INTEGER,
       created INTEGER NOT NULL
     );
     CREATE INDEX snapshots_parent ON snapshots(parent);`,
  ],
};

export class SnapshotStore {
  readonly db: Db;

  constructor(root: string) {
    this.db = openDb(root, [snapshotMigrations]);
  }

  get(key: string): SnapshotRow | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE key = ?').get(key) as SnapshotRow | undefined;
  }

  /** The row and its ancestors, nearest first. */
  chain(key: string): SnapshotRow[] {
    return this.db
      .prepare(
        `WITH RECURSIVE c(key, depth) AS (
           SELECT ?, 0
           UNION ALL SELECT s.parent, c.depth + 1 FROM snapshots s JOIN c ON s.key = c.key WHERE s.parent IS NOT NULL)
         SELECT s.* FROM c JOIN snapshots s ON s.key = c.key ORDER BY c.depth`,
      )
      .all(key) as SnapshotRow[];
  }

  /** Inserts unless the key exists; true when this call inserted it. The parent must be committed. */
  insert(row: SnapshotRow): boolean {
    return writeTx(this.db, () => {
      if (row.parent !== null && this.get(row.parent)?.kind !== 'committed') {
        throw new TugError('NOT_FOUND', `parent snapshot ${row.parent} does not exist`, { hint: 'it may have been removed meanwhile; pull or build the image again' });
      }
      const r = this.db
        .prepare('INSERT OR IGNORE INTO snapshots (key, kind, parent, dir, link, diff_id, size, created) VALUES (@key, @kind, @parent, @dir, @link, @diff_id, @size, @created)')
        .run(row);
      return r.changes === 1;
    });
  }

  /** Turns an active snapshot into the committed one named chainID; false when chainID already exists. */
  commit(key: string, chainID: string, dir: string, diffID: Digest | null, size: number | null): boolean {
    return writeTx(this.db, () => {
      if (this.get(chainID)) return false;
      this.db.prepare("UPDATE snapshots SET key = ?, kind = 'committed', dir = ?, diff_id = ?, size = ? WHERE key = ? AND kind = 'active'").run(chainID, dir, diffID, size, key);
      return true;
    });
  }

  /** Deletes a row; refuses (CONFLICT) while other snapshots use it as parent. */
  delete(key: string, kinds: SnapshotKind[]): SnapshotRow {
    return writeTx(this.db, () => {
      const row = this.get(key);
      if (!row || !kinds.includes(row.kind)) {
        throw new TugError('NOT_FOUND', `no ${kinds.join(' or ')} snapshot ${key}`);
      }
      const kids = this.children(key);
      if (kids.length > 0) {
        throw new TugError('CONFLICT', `snapshot ${key} is the parent of ${kids.length} other snapshot(s)`, { hint: 'remove the images or containers that use it first' });
      }
      this.db.prepare('DELETE FROM snapshots WHERE key = ?').run(key);
      return row;
    });
  }

  children(key: string): string[] {
    return (this.db.prepare('SELECT key FROM snapshots WHERE parent = ? ORDER BY key').all(key) as Array<{ key: string }>).map((r) => r.key);
  }

  list(): SnapshotRow[] {
    return this.db.prepare('SELECT * FROM snapshots ORDER BY key').all() as SnapshotRow[];
  }
}
