// The GC roots of the modules other than the registry, for `registry gc` and
// the server's background GC. Blobs are shared by images, the build cache and
// the registry, so a collection must see every module's roots; the front end
// is the one place that may import them all.
import type { Db } from '../../meta/db.js';
import type { RootProvider } from '../../meta/gc.js';
import { applyMigrations } from '../../meta/db.js';
import { ImageRecords } from '../../image/records.js';
import { imageMigrations } from '../../image/schema.js';
import { BuildCache, buildMigrations } from '../../build/cache.js';

export function otherModuleRoots(db: Db): RootProvider[] {
  // their tables may not exist yet on a registry-only root
  applyMigrations(db, [imageMigrations, buildMigrations]);
  return [
    { name: 'image', roots: () => new ImageRecords(db).referencedBlobs() },
    { name: 'build-cache', roots: () => new BuildCache(db).roots() },
  ];
}
