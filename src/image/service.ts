// The image service: images as rows in SQLite over blobs in the content store,
// unpacked on demand into the snapshotter. Everything that adds images (load,
// import, pull, build, commit) ends in addImage, which validates first.
import { Readable } from 'node:stream';
import { ContentStore } from '../content/index.js';
import { openDb, writeTx, type Db } from '../meta/db.js';
import { addLeaseResource, createLease, deleteLease } from '../meta/leases.js';
import { sha256 } from '../oci/digest.js';
import { MediaType } from '../oci/mediatypes.js';
import type { ContainerConfig, Descriptor, Digest, HistoryEntry, ImageConfig, Manifest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { chainIDs } from '../archive/layer.js';
import { configBytes, goTimeString } from './configjson.js';
import { containersUsingImage } from './inuse.js';
import type { StoredLayer } from './layerwrite.js';
import { ImageRecords } from './records.js';
import { familiarName, familiarString, parseRef, parseRefDefaultTag, refString, type NamedRef } from './refs.js';
import { imageMigrations } from './schema.js';
import type { ImageRecord, LayerRecord, RemovedReport } from './types.js';
import type { DiffCache } from './validate.js';

export type { ImageRecord, LayerRecord, RemovedReport } from './types.js';
export type { StoredLayer } from './layerwrite.js';

/** A layer for createImage: a tar stream to store, or a blob already in the content store. */
export type LayerInput =
  | { tar: Readable; /** parse entries and refuse unsafe/corrupt tars */ check?: boolean; /** gzip (default true) */ compress?: boolean; what?: string }
  | { stored: StoredLayer };

export interface CreateImageOptions {
  /** Image to build on: its layers, config and history come first. */
  base?: ImageRecord | null;
  layers?: LayerInput[];
  /** The container config of the new image; default: the base's (or empty). */
  config?: ContainerConfig;
  /** History appended after the base's; default: one entry per new layer. */
  history?: HistoryEntry[];
  author?: string;
  /** docker's top-level "comment" (import --message, commit -m). */
  comment?: string;
  /** RFC 3339; default now. */
  created?: string;
  platform?: { architecture: string; os: string; variant?: string };
  names?: string[];
  /** Recorded parent (for `images -a` / history of build steps); default base.id. */
  parent?: Digest | null;
}

export interface AddImageOptions {
  parent?: Digest | null;
  /** Repo digests to record (pull, push): "repo" (→ repo@manifestDigest) or "repo@sha256:…" (e.g. the index a pull resolved). */
  repoDigests?: string[];
  /** diffIDs/sizes the caller already knows (e.g. computed while pulling), by blob digest. */
  knownDiffs?: Map<Digest, { diffID: Digest; diffSize: number }>;
}

export interface RemoveOptions {
  force?: boolean;
  /** Keep untagged parents (docker's --no-prune). */
  noPrune?: boolean;
}

const NOT_FOUND_HINT = "see 'tug images' for the images you have; 'tug load', 'tug import' or 'tug pull' add more";

export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

/** RFC 3339 with nanosecond-style precision as docker prints it. */
export function nowRfc3339(): string {
  return new Date().toISOString();
}

/**
 * Blobs an operation writes: each is leased as soon as its digest is known (so
 * a concurrent garbage collection keeps it), and the ones that were new can
 * be deleted again if the operation fails, leaving the store as it was.
 */
export class BlobTracker {
  readonly created = new Set<Digest>();
  private readonly leaseId: string;
  constructor(private readonly svc: ImageService) {
    this.leaseId = createLease(svc.db, { expiresInMs: 6 * 3600_000, labels: { module: 'image', pid: String(process.pid) } }).id;
  }
  /** Call before committing a blob whose digest is known. */
  async note(d: Digest): Promise<void> {
    addLeaseResource(this.svc.db, this.leaseId, d);
    if (!(await this.svc.content.has(d))) this.created.add(d);
  }
  /** Ends the lease; on failure first deletes the new blobs nothing references. */
  async finish(ok: boolean): Promise<void> {
    if (!ok) await this.svc.dropCreated(this.created);
    deleteLease(this.svc.db, this.leaseId);
  }
}

export class ImageService {
  readonly content: ContentStore;
  readonly db: Db;
  readonly records: ImageRecords;

  private constructor(readonly root: string) {
    this.content = ContentStore.open(root);
    this.db = openDb(root, [imageMigrations]);
    this.records = new ImageRecords(this.db);
  }

  static open(root: string): ImageService {
    return new ImageService(root);
  }

  // ---------- finding images ----------

  /** The image a user means by a name, name@digest, full id or unique id prefix; TugError NOT_FOUND otherwise. */
  resolve(nameOrId: string): ImageRecord {
    return this.lookup(nameOrId).image;
  }

  /** Like resolve, and says whether the input named the image by id (rmi's rules depend on it). */
  lookup(nameOrId: string): { image: ImageRecord; byId: boolean; ref?: NamedRef } {
    const input = nameOrId.trim();
    const fullId = /^sha256:[a-f0-9]{64}$/.test(input) ? input : /^[a-f0-9]{64}$/.test(input) ? `sha256:${input}` : undefined;
    if (fullId) {
      const img = this.records.byId(fullId);
      if (img) return { image: img, byId: true };
      throw this.noSuchImage(nameOrId);
    }
    let ref: NamedRef | undefined;
    let parseError: unknown;
    try {
      ref = parseRefDefaultTag(input);
    } catch (e) {
      parseError = e;
    }
    if (ref) {
      const id = ref.digest ? this.records.idByRepoDigest(ref.repository, ref.digest) : this.records.idByName(refString(ref));
      const img = id && this.records.byId(id);
      if (img) return { image: img, byId: false, ref };
    }
    const prefix = /^(?:sha256:)?([a-f0-9]{1,63})$/.exec(input);
    if (prefix) {
      const ids = this.records.idsByPrefix(prefix[1]);
      if (ids.length > 1) {
        throw new TugError('INVALID_ARGUMENT', `image id prefix "${input}" is ambiguous`, { hint: 'give more characters of the id' });
      }
      const img = ids.length === 1 ? this.records.byId(ids[0]) : undefined;
      if (img) return { image: img, byId: true };
    }
    if (parseError) throw parseError;
    throw this.noSuchImage(nameOrId);
  }

  private noSuchImage(input: string): TugError {
    return new TugError('NOT_FOUND', `No such image: ${input}`, { hint: NOT_FOUND_HINT });
  }

  list(): ImageRecord[] {
    return this.records.all();
  }

  get(id: Digest): ImageRecord | undefined {
    return this.records.byId(id);
  }

  async manifest(img: ImageRecord): Promise<Manifest> {
    return this.content.readJson<Manifest>(img.manifestDigest);
  }

  async config(img: ImageRecord): Promise<ImageConfig> {
    return this.content.readJson<ImageConfig>(img.id);
  }

  // ---------- adding images ----------

  /**
   * Records an image whose manifest, config and layers are already in the
   * content store, after checking they agree; then points `names` at it.
   * Names move from any image that had them (docker's tag semantics).
   */
  async addImage(manifestDigest: Digest, names: string[] = [], opts: AddImageOptions = {}): Promise<ImageRecord> {
    const parsedNames = names.map((n) => this.tagRef(n));
    const pending = new Map<Digest, { diffID: Digest; diffSize: number }>(opts.knownDiffs ?? []);
    const cache: DiffCache = {
      get: (d) => pending.get(d) ?? this.records.diffOf(d),
      set: (d, diffID, diffSize) => void pending.set(d, { diffID, diffSize }),
    };
    // loaded lazily: listing and tagging never need the archive code
    const { validateImage } = await import('./validate.js');
    const v = await validateImage(this.content, manifestDigest, cache);
    const diffIDs = v.layers.map((l) => l.diffID);
    const chains = chainIDs(diffIDs);
    const layers: LayerRecord[] = v.layers.map((l, i) => ({
      diffID: l.diffID,
      digest: l.descriptor.digest,
      mediaType: l.descriptor.mediaType,
      chainID: chains[i],
      size: l.descriptor.size,
      diffSize: l.diffSize,
    }));
    const id = v.manifest.config.digest;
    const now = nowRfc3339();
    // "repo" records repo@manifestDigest; "repo@digest" records that digest (a pull through an index: docker shows the index digest)
    const repoDigestRefs = (opts.repoDigests ?? []).map((r) => {
      const p = parseRef(r);
      return { repository: p.repository, digest: p.digest ?? manifestDigest };
    });
    writeTx(this.db, () => {
      for (const [d, x] of pending) this.records.rememberDiff(d, x.diffID, x.diffSize);
      this.records.insertImage({
        id,
        manifestDigest,
        manifestMediaType: v.manifest.mediaType ?? MediaType.OciManifest,
        created: v.config.created ?? '',
        size: layers.reduce((n, l) => n + l.diffSize, 0),
        parent: opts.parent ?? null,
        layers,
      }, now);
      for (const r of parsedNames) this.records.setName(refString(r), r.repository, r.tag as string, id, now);
      for (const r of repoDigestRefs) this.records.addRepoDigest(r.repository, r.digest, id);
    });
    return this.records.byId(id) as ImageRecord;
  }

  /** Throws the error `tag` would give for this name. */
  checkTagName(name: string): void {
    this.tagRef(name);
  }

  /** A name to tag with: repository[:tag] (default latest); digests are refused, as docker does. */
  private tagRef(name: string): NamedRef {
    const r = parseRefDefaultTag(name);
    if (r.digest) {
      throw new TugError('INVALID_ARGUMENT', `refusing to create a tag with a digest reference: ${name}`, { hint: 'tag names look like repository[:tag]' });
    }
    return r;
  }

  /** Stores a manifest + config for layers and records the image (import, commit, build). */
  async createImage(opts: CreateImageOptions): Promise<ImageRecord> {
    const tracker = new BlobTracker(this);
    const noteNew = (d: Digest): Promise<void> => tracker.note(d);
    let ok = false;
    try {
      const baseConfig = opts.base ? await this.config(opts.base) : undefined;
      const baseManifest = opts.base ? await this.manifest(opts.base) : undefined;
      const { writeLayer } = await import('./layerwrite.js');
      const newLayers: StoredLayer[] = [];
      for (const l of opts.layers ?? []) {
        if ('stored' in l) newLayers.push(l.stored);
        else newLayers.push(await writeLayer(this.content, l.tar, { check: l.check, compress: l.compress, what: l.what, beforeCommit: noteNew }));
      }
      const when = goTimeString(opts.created ?? nowRfc3339()) as string;
      const history: HistoryEntry[] = [
        ...(baseConfig?.history ?? []),
        ...(opts.history ?? newLayers.map((): HistoryEntry => ({ created: when, ...(opts.comment ? { comment: opts.comment } : {}) }))),
      ];
      // No top-level "comment": it is not in the OCI struct, and Go tools drop it
      // when converting (changing the id); the history entry carries it.
      const config: ImageConfig = {
        created: when,
        ...(opts.author ?? baseConfig?.author ? { author: opts.author ?? baseConfig?.author } : {}),
        architecture: opts.platform?.architecture ?? baseConfig?.architecture ?? goArch(),
        ...(opts.platform?.variant ?? baseConfig?.variant ? { variant: opts.platform?.variant ?? baseConfig?.variant } : {}),
        os: opts.platform?.os ?? baseConfig?.os ?? 'linux',
        config: opts.config ?? baseConfig?.config ?? {},
        rootfs: { type: 'layers', diff_ids: [...(baseConfig?.rootfs.diff_ids ?? []), ...newLayers.map((l) => l.diffID)] },
        history,
      };
      const cfgBytes = configBytes(config);
      const configDigest = sha256(cfgBytes);
      await noteNew(configDigest);
      await this.content.write(cfgBytes, { digest: configDigest, size: cfgBytes.length });
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: configDigest, size: cfgBytes.length },
        layers: [
          ...(baseManifest?.layers ?? []),
          ...newLayers.map((l): Descriptor => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        ],
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifest));
      const manifestDigest = sha256(manifestBytes);
      await noteNew(manifestDigest);
      await this.content.write(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
      const knownDiffs = new Map(newLayers.map((l) => [l.digest, { diffID: l.diffID, diffSize: l.diffSize }]));
      const img = await this.addImage(manifestDigest, opts.names ?? [], { parent: opts.parent === undefined ? opts.base?.id ?? null : opts.parent, knownDiffs });
      ok = true;
      return img;
    } finally {
      await tracker.finish(ok);
    }
  }

  /** Deletes blobs an operation wrote if nothing came to reference them (a failed import leaves the store as it was). */
  async dropCreated(created?: Set<Digest>): Promise<void> {
    if (!created?.size) return;
    const referenced = new Set(this.records.referencedBlobs());
    for (const d of created) if (!referenced.has(d)) await this.content.delete(d).catch(() => {});
    created.clear();
  }

  // ---------- unpacking ----------

  /** Unpacks every layer into the root's snapshotter (once per chainID); returns the top chainID (null: no layers). */
  async unpack(img: ImageRecord): Promise<Digest | null> {
    const { Snapshotter } = await import('../snapshot/index.js');
    const { unpackImage } = await import('./unpack.js');
    return unpackImage(this, Snapshotter.open(this.root), img);
  }

  // ---------- names ----------

  tag(img: ImageRecord, ref: string): void {
    const r = this.tagRef(ref);
    writeTx(this.db, () => {
      if (!this.records.byId(img.id)) throw this.noSuchImage(img.id);
      this.records.setName(refString(r), r.repository, r.tag as string, img.id, nowRfc3339());
    });
  }

  /** Removes one name (repo:tag or repo@digest); TugError NOT_FOUND if absent. */
  untag(ref: string): void {
    const r = parseRefDefaultTag(ref);
    const removed = writeTx(this.db, () => {
      if (r.digest) {
        const id = this.records.idByRepoDigest(r.repository, r.digest);
        if (!id) return false;
        this.db.prepare('DELETE FROM image_repo_digests WHERE repository = ? AND digest = ?').run(r.repository, r.digest);
        return true;
      }
      return this.records.removeName(refString(r));
    });
    if (!removed) throw this.noSuchImage(ref);
  }

  // ---------- removing ----------

  /** docker rmi: untag, and delete the image once nothing names it (rules of moby's ImageDelete). */
  remove(nameOrId: string, opts: RemoveOptions = {}): RemovedReport {
    return writeTx(this.db, () => this.removeLocked(nameOrId, opts));
  }

  private removeLocked(nameOrId: string, opts: RemoveOptions): RemovedReport {
    const report: RemovedReport = { untagged: [], deleted: [] };
    const { image, byId, ref } = this.lookup(nameOrId);
    const short = image.id.slice(7, 19);
    const refsOf = (id: Digest): { names: string[]; digests: string[] } => {
      const img = this.records.byId(id) as ImageRecord;
      return { names: img.names, digests: img.repoDigests };
    };
    if (!byId && ref) {
      if (ref.digest) {
        this.db.prepare('DELETE FROM image_repo_digests WHERE repository = ? AND digest = ?').run(ref.repository, ref.digest);
        report.untagged.push(familiarString(ref));
      } else {
        this.records.removeName(refString(ref));
        report.untagged.push(familiarString(ref));
        // The last tag of a repository takes that repository's digest references with it.
        const left = refsOf(image.id);
        if (!left.names.some((n) => n.startsWith(`${ref.repository}:`))) {
          for (const d of left.digests.filter((x) => x.startsWith(`${ref.repository}@`))) {
            this.db.prepare('DELETE FROM image_repo_digests WHERE repository = ? AND digest = ?').run(ref.repository, d.slice(ref.repository.length + 1));
            report.untagged.push(familiarString(parseRef(d)));
          }
        }
      }
      const left = refsOf(image.id);
      if (left.names.length || left.digests.length) return report;
    } else {
      const { names, digests } = refsOf(image.id);
      const repos = new Set([...names.map((n) => n.slice(0, n.lastIndexOf(':'))), ...digests.map((d) => d.slice(0, d.indexOf('@')))]);
      const single = names.length <= 1 && repos.size <= 1;
      if (!single && !opts.force) {
        throw new TugError('CONFLICT', `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`, {
          hint: `remove the names one by one ('tug rmi NAME:TAG'), or use 'tug rmi -f ${short}'`,
        });
      }
      this.checkDeletable(image, opts.force ?? false);
      for (const n of names) {
        this.records.removeName(n);
        report.untagged.push(familiarName(n));
      }
      for (const d of digests) report.untagged.push(familiarString(parseRef(d)));
      this.records.removeRepoDigests(image.id);
    }
    this.checkDeletable(image, opts.force ?? false);
    this.records.removeRepoDigests(image.id);
    this.records.deleteImage(image.id);
    report.deleted.push(image.id);
    report.chains = [...image.layers.map((l) => l.chainID).reverse()];
    // Untagged parents nothing else needs go with it (docker's prune of the parent chain).
    let parent = opts.noPrune ? null : image.parent;
    while (parent) {
      const p = this.records.byId(parent);
      if (!p || p.names.length || p.repoDigests.length || this.records.childrenOf(p.id).length || containersUsingImage(this.db, p.id).length) break;
      this.records.deleteImage(p.id);
      report.deleted.push(p.id);
      report.chains.push(...p.layers.map((l) => l.chainID).reverse());
      parent = p.parent;
    }
    return report;
  }

  private checkDeletable(image: ImageRecord, force: boolean): void {
    const short = image.id.slice(7, 19);
    if (this.records.childrenOf(image.id).length) {
      throw new TugError('CONFLICT', `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`, {
        hint: "remove the images built on it first ('tug images -a' lists them)",
      });
    }
    const users = containersUsingImage(this.db, image.id);
    const running = users.find((c) => c.running);
    if (running) {
      throw new TugError('CONFLICT', `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`, {
        hint: `stop and remove the container first: 'tug rm -f ${running.name}'`,
      });
    }
    if (users.length && !force) {
      throw new TugError('CONFLICT', `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`, {
        hint: `remove the container first ('tug rm ${users[0].name}'), or use -f`,
      });
    }
  }
}
