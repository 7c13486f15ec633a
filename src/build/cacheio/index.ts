// Build cache import/export (--cache-from / --cache-to): what the CLI calls.
import type { Progress } from '../progress.js';
import type { CacheExporter, CacheImporter } from '../remote-cache.js';
import { RemoteCacheExporter } from './exporter.js';
import { RemoteCacheImporter } from './importer.js';
import { parseCacheFrom, parseCacheTo } from './spec.js';
import { LocalCacheStore, RegistryCacheStore, sourceStore } from './stores.js';

export { parseCacheFrom, parseCacheTo, type CacheSource, type CacheDestination } from './spec.js';
export { RemoteCacheExporter } from './exporter.js';
export { RemoteCacheImporter } from './importer.js';
export { INLINE_CONFIG_KEY, CACHE_ARTIFACT_TYPE, CACHE_CONFIG_MEDIA_TYPE, CACHE_MOUNT_MEDIA_TYPE, type CacheDocument } from './format.js';

/** Parses the flags (errors before anything runs) and makes the builder's importer and exporter. */
export function cacheIo(root: string, from: string[], to: string[], progress: Progress): { importer?: CacheImporter; exporter?: CacheExporter } {
  const sources = from.map(parseCacheFrom);
  const dests = to.map(parseCacheTo);
  const stores = sources.map((s) => {
    if (s.type === 'local') return new LocalCacheStore(root, s.dir, s.tag);
    return s.preferLocal ? () => sourceStore(root, s.ref) : new RegistryCacheStore(root, s.ref);
  });
  return {
    importer: stores.length ? new RemoteCacheImporter(root, stores, progress) : undefined,
    exporter: dests.length ? new RemoteCacheExporter(root, dests, progress) : undefined,
  };
}
