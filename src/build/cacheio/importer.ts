// --cache-from: the builder asks for a step key after a local miss; the
// first source that has it answers, after copying only the layer blobs of
// that state the local store lacks. Documents are read once, on first use; a
// source that cannot be read is a warning, as in BuildKit, never a failure.
import { ContentStore } from '../../content/index.js';
import type { Descriptor, Digest } from '../../oci/types.js';
import type { StageState } from '../cache.js';
import type { Progress } from '../progress.js';
import type { CacheImporter } from '../remote-cache.js';
import type { CacheDocument, CacheMountBlob, CacheRecord } from './format.js';
import { cacheMountIsEmpty, restoreCacheMount } from './mounts.js';
import type { CacheStore } from './stores.js';

interface Loaded {
  store: CacheStore;
  records: Map<string, CacheRecord>;
  mounts: Map<string, CacheMountBlob>;
}

export class RemoteCacheImporter implements CacheImporter {
  private loaded?: Promise<Loaded[]>;
  private readonly fetching = new Map<Digest, Promise<void>>();
  private readonly restoring = new Map<string, Promise<void>>();
  /** Blobs fetched from a source (for tests and the report). */
  fetchedBlobs = 0;

  constructor(private readonly root: string, private readonly sources: Array<CacheStore | (() => Promise<CacheStore>)>, private readonly progress: Progress) {}

  private load(): Promise<Loaded[]> {
    this.loaded ??= Promise.all(this.sources.map(async (source) => {
      const store = typeof source === 'function' ? await source() : source;
      const v = this.progress.start(`importing cache manifest from ${store.name}`);
      let doc: CacheDocument | undefined;
      try {
        doc = await store.readDocument();
        v.done();
      } catch (e) {
        v.done();
        this.progress.note(`WARNING: failed to import cache from ${store.name}: ${(e as Error).message.split('\n')[0]}`);
      }
      if (!doc) return undefined;
      return { store, records: new Map(doc.records.map((r) => [r.key, r])), mounts: new Map(doc.mounts.map((m) => [m.id, m])) };
    })).then((all) => all.filter((x): x is Loaded => x !== undefined));
    return this.loaded;
  }

  private fetch(store: CacheStore, desc: Descriptor): Promise<void> {
    let p = this.fetching.get(desc.digest);
    if (!p) {
      p = (async () => {
        if (await ContentStore.open(this.root).has(desc.digest)) return;
        await store.fetch(desc);
        this.fetchedBlobs++;
      })();
      this.fetching.set(desc.digest, p);
      p.catch(() => this.fetching.delete(desc.digest));
    }
    return p;
  }

  async lookup(key: string): Promise<StageState | undefined> {
    for (const src of await this.load()) {
      const rec = src.records.get(key);
      if (!rec) continue;
      try {
        await Promise.all(rec.state.layers.map((l) => this.fetch(src.store, l.blob)));
      } catch (e) {
        this.progress.note(`WARNING: cache record ${key.slice(7, 19)} from ${src.store.name} is unusable: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      return JSON.parse(JSON.stringify(rec.state)) as StageState;
    }
    return undefined;
  }

  /** Before a RUN that mounts cache `id` runs: fill its directory from a source when it is empty here. */
  restoreCacheMount(id: string): Promise<void> {
    let p = this.restoring.get(id);
    if (!p) {
      p = (async () => {
        if (!cacheMountIsEmpty(this.root, id)) return;
        for (const src of await this.load()) {
          const m = src.mounts.get(id);
          if (!m) continue;
          const v = this.progress.start(`importing cache mount ${id} from ${src.store.name}`);
          try {
            await this.fetch(src.store, m.blob);
            const filled = await restoreCacheMount(this.root, ContentStore.open(this.root), m);
            v.status(filled ? `restored ${m.blob.size} bytes` : 'kept the local contents');
            v.done();
          } catch (e) {
            v.done();
            this.progress.note(`WARNING: cannot restore cache mount ${id}: ${(e as Error).message.split('\n')[0]}`);
          }
          return;
        }
      })();
      this.restoring.set(id, p);
    }
    return p;
  }
}
