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
