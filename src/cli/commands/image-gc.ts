// The roots of every module that shares the content store with images, for
// the collections `rmi` and `image prune` start. The CLI is the one layer that
// may import them all.
import type { Db } from '../../meta/db.js';
import { applyMigrations } from '../../meta/db.js';
import type { RootProvider } from '../../meta/gc.js';
import { BuildCache, buildMigrations } from '../../build/cache.js';
import { registryRoots } from '../../registry/gc.js';
import { registryMigrations } from '../../registry/schema.js';

export function nonImageRoots(db: Db): RootProvider[] {
  applyMigrations(db, [buildMigrations, registryMigrations]);
  return [{ name: 'build-cache', roots: () => new BuildCache(db).roots() }, registryRoots(db)];
}

/** Snapshots other modules keep (the build cache's stage states). */
export function nonImageSnapshots(db: Db): string[] {
  applyMigrations(db, [buildMigrations]);
  return (db.prepare("SELECT json_extract(record, '$.chainID') AS c FROM build_cache").all() as Array<{ c: string | null }>).flatMap((r) => (r.c ? [r.c] : []));
}
