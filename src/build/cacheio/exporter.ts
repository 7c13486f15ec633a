// --cache-to: at the end of a successful build every destination gets a
// document of the steps its mode selects (min: the exported image's own chain;
// max: every stage) and the blobs they name, each blob sent only when the
// destination lacks it. With mode=max, registry destinations start uploading a
// step's layer as soon as the step is done, while the build goes on.
// type=inline is not a destination of its own: its document goes into the
// image config (inline()), which the builder asks for before writing the image.
import { ContentStore } from '../../content/index.js';
import { openDb } from '../../meta/db.js';
import { addLeaseResource, createLease, deleteLease } from '../../meta/leases.js';
import type { Descriptor, Digest } from '../../oci/types.js';
import { TugError } from '../../util/errors.js';
import type { Progress } from '../progress.js';
import type { CacheExporter, ExportedStep } from '../remote-cache.js';
import { INLINE_CONFIG_KEY, documentBlobs, makeDocument, type CacheMountBlob } from './format.js';
import { packCacheMount } from './mounts.js';
import type { CacheDestination } from './spec.js';
import { LocalCacheStore, RegistryCacheStore, type CacheStore } from './stores.js';

interface Target {
  dest: Exclude<CacheDestination, { type: 'inline' }>;
  store: CacheStore;
  /** Uploads begun while the build ran: true sent, false already there, undefined failed (retried at the end). */
  early: Map<Digest, Promise<boolean | undefined>>;
}

const PARALLEL_UPLOADS = 4;

async function eachLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export class RemoteCacheExporter implements CacheExporter {
  private readonly targets: Target[];
  private readonly inlineWanted: boolean;
  /** Blobs sent (not already present) per destination name, for the progress line and tests. */
  readonly sent = new Map<string, number>();

  constructor(private readonly root: string, dests: CacheDestination[], private readonly progress: Progress) {
    this.inlineWanted = dests.some((d) => d.type === 'inline');
    this.targets = dests.filter((d): d is Target['dest'] => d.type !== 'inline').map((dest) => ({
      dest,
      store: dest.type === 'registry' ? new RegistryCacheStore(root, dest.ref) : new LocalCacheStore(root, dest.dir, dest.tag),
      early: new Map(),
    }));
  }

  private async send(t: Target, desc: Descriptor): Promise<boolean> {
    const early = await t.early.get(desc.digest);
    return early ?? t.store.push(desc);
  }

  /** A step finished: mode=max registry destinations start sending its new layer now. */
  stepDone(step: ExportedStep): void {
    const top = step.state.layers[step.state.layers.length - 1];
    if (!top) return;
    for (const t of this.targets) {
      if (t.dest.type !== 'registry' || t.dest.mode !== 'max' || t.early.has(top.blob.digest)) continue;
      t.early.set(top.blob.digest, t.store.push(top.blob).catch(() => undefined));
    }
  }

  /** For type=inline: extra image-config keys holding the target chain's records. */
  inline(steps: ExportedStep[]): Record<string, unknown> | undefined {
    if (!this.inlineWanted) return undefined;
    return { [INLINE_CONFIG_KEY]: makeDocument(steps.filter((s) => s.inTarget), []) };
  }

  async export(steps: ExportedStep[], cacheMountIds: string[]): Promise<void> {
    if (this.targets.length === 0) return;
    const store = ContentStore.open(this.root);
    const db = openDb(this.root, []);
    // mount blobs are roots of nothing: a lease keeps them while they are sent
    const lease = createLease(db, { expiresInMs: 60 * 60 * 1000, labels: { purpose: 'build cache export' } });
    try {
      let packed: CacheMountBlob[] | undefined;
      for (const t of this.targets) {
        const v = this.progress.start(`exporting cache to ${t.store.name} (mode=${t.dest.mode}${t.dest.cacheMounts ? ', cache-mounts' : ''})`);
        try {
          let mounts: CacheMountBlob[] = [];
          if (t.dest.cacheMounts) {
            packed ??= await this.packMounts(store, db, lease.id, cacheMountIds);
            mounts = packed;
          }
          const doc = makeDocument(t.dest.mode === 'max' ? steps : steps.filter((s) => s.inTarget), mounts);
          const blobs = documentBlobs(doc);
          let sent = 0;
          await eachLimited(blobs, PARALLEL_UPLOADS, async (b) => {
            if (await this.send(t, b)) sent++;
          });
          await t.store.writeDocument(doc);
          this.sent.set(t.store.name, sent);
          v.status(`${doc.records.length} records, ${blobs.length} blobs (${sent} sent, ${blobs.length - sent} already there)`);
          v.done();
        } catch (e) {
          const msg = (e as Error).message.split('\n')[0];
          v.done(msg);
          if (!t.dest.ignoreError) {
            throw new TugError('BUILD', `failed to export cache to ${t.store.name}: ${msg}`, { hint: 'add ignore-error=true to --cache-to to keep the build result anyway' });
          }
          this.progress.note(`WARNING: failed to export cache to ${t.store.name}: ${msg}`);
        }
      }
    } finally {
      deleteLease(db, lease.id);
    }
  }

  private async packMounts(store: ContentStore, db: ReturnType<typeof openDb>, leaseId: string, ids: string[]): Promise<CacheMountBlob[]> {
    const out: CacheMountBlob[] = [];
    for (const id of [...new Set(ids)].sort()) {
      const m = await packCacheMount(this.root, store, id);
      if (!m) continue;
      addLeaseResource(db, leaseId, m.blob.digest);
      out.push(m);
    }
    return out;
  }
}
