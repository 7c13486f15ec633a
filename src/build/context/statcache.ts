// A persisted stat cache for build contexts: a file whose (inode, size, mtime,
// ctime, mode) is unchanged since the last build keeps its content digest, so
// an unchanged 5,000-file context is re-checked with lstat calls only.
import type { Db, MigrationSet } from '../../meta/db.js';
import { writeTx } from '../../meta/db.js';

export const statCacheMigrations: MigrationSet = {
  module: 'build-context',
  steps: [
    `CREATE TABLE build_stat_cache (
       context TEXT NOT NULL, rel TEXT NOT NULL,
       ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns TEXT NOT NULL, ctime_ns TEXT NOT NULL, mode INTEGER NOT NULL,
       digest TEXT NOT NULL,
       PRIMARY KEY (context, rel)) WITHOUT ROWID`,
  ],
};

export interface StatKey {
  ino: number;
  size: number;
  mtimeNs: string;
  ctimeNs: string;
  mode: number;
}

interface Row extends StatKey {
  digest: string;
}

export class StatCache {
  private readonly rows = new Map<string, Row>();
  private readonly dirty = new Map<string, Row>();

  private constructor(private readonly db: Db | undefined, private readonly context: string) {}

  /** Loads every row of this context at once (one query beats thousands). */
  static load(db: Db | undefined, context: string): StatCache {
    const cache = new StatCache(db, context);
    if (db) {
      const rows = db
        .prepare('SELECT rel, ino, size, mtime_ns AS mtimeNs, ctime_ns AS ctimeNs, mode, digest FROM build_stat_cache WHERE context = ?')
        .all(context) as Array<Row & { rel: string }>;
      for (const r of rows) cache.rows.set(r.rel, r);
    }
    return cache;
  }

  lookup(rel: string, key: StatKey): string | undefined {
    const r = this.rows.get(rel);
    if (!r) return undefined;
    return r.ino === key.ino && r.size === key.size && r.mtimeNs === key.mtimeNs && r.ctimeNs === key.ctimeNs && r.mode === key.mode
      ? r.digest
      : undefined;
  }

  remember(rel: string, key: StatKey, digest: string): void {
    const row = { ...key, digest };
    this.rows.set(rel, row);
    this.dirty.set(rel, row);
  }

  /** Writes what changed in one transaction. */
  flush(): void {
    if (!this.db || this.dirty.size === 0) return;
    const db = this.db;
    const put = db.prepare(
      `INSERT INTO build_stat_cache (context, rel, ino, size, mtime_ns, ctime_ns, mode, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(context, rel) DO UPDATE SET ino = excluded.ino, size = excluded.size, mtime_ns = excluded.mtime_ns,
         ctime_ns = excluded.ctime_ns, mode = excluded.mode, digest = excluded.digest`,
    );
    writeTx(db, () => {
      for (const [rel, r] of this.dirty) put.run(this.context, rel, r.ino, r.size, r.mtimeNs, r.ctimeNs, r.mode, r.digest);
    });
    this.dirty.clear();
  }
}
