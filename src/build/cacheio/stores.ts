// Where a cache document and its blobs live: a registry repository (an OCI
// image manifest whose config blob is the document and whose layers are the
// blobs it names) or an OCI image-layout directory holding the same manifest.
// A registry reference may also name an ordinary image built with
// --cache-to type=inline: its config carries the document.
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ContentStore } from '../../content/index.js';
import { MediaType } from '../../oci/mediatypes.js';
import { sha256 } from '../../oci/digest.js';
import type { Descriptor, Digest } from '../../oci/types.js';
import { TugError } from '../../util/errors.js';
import { hostPlatform } from '../../dockerfile/index.js';
import { CACHE_ARTIFACT_TYPE, CACHE_CONFIG_MEDIA_TYPE, INLINE_CONFIG_KEY, documentBlobs, parseDocument, type CacheDocument } from './format.js';

export interface CacheStore {
  /** Shown in progress lines and warnings. */
  readonly name: string;
  /** The document, or undefined when there is no cache there yet. */
  readDocument(): Promise<CacheDocument | undefined>;
  /** Copies one blob into the local content store (verified). */
  fetch(desc: Descriptor): Promise<void>;
  /** Copies one blob from the local content store; true when it had to be sent (false: already there). */
  push(desc: Descriptor): Promise<boolean>;
  /** Publishes the document; its blobs must have been pushed. */
  writeDocument(doc: CacheDocument): Promise<void>;
}

interface ManifestDoc {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Array<Descriptor & { platform?: { os?: string; architecture?: string }; artifactType?: string; annotations?: Record<string, string> }>;
}

function cacheManifest(doc: CacheDocument, configDesc: Descriptor): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    artifactType: CACHE_ARTIFACT_TYPE,
    config: configDesc,
    layers: documentBlobs(doc),
  }));
}

function documentBytes(doc: CacheDocument): { bytes: Buffer; desc: Descriptor } {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { bytes, desc: { mediaType: CACHE_CONFIG_MEDIA_TYPE, digest: sha256(bytes), size: bytes.length } };
}

/** The document in a config blob: a tug cache config, or an image config with an inline cache. */
function documentIn(configBytes: Buffer, mediaType: string, where: string): CacheDocument | undefined {
  let value: unknown;
  try {
    value = JSON.parse(configBytes.toString('utf8'));
  } catch {
    throw new TugError('INVALID_ARCHIVE', `cache ${where}: config is not JSON`);
  }
  if (mediaType === CACHE_CONFIG_MEDIA_TYPE) return parseDocument(value, where);
  const inline = (value as Record<string, unknown>)[INLINE_CONFIG_KEY];
  return inline === undefined ? undefined : parseDocument(inline, where);
}

/** From an index, the entry that is a tug cache, else the native platform's image. */
function pickFromIndex(m: ManifestDoc): Descriptor | undefined {
  const list = m.manifests ?? [];
  const cache = list.find((d) => d.artifactType === CACHE_ARTIFACT_TYPE);
  if (cache) return cache;
  const host = hostPlatform();
  return list.find((d) => d.platform?.os === host.os && d.platform?.architecture === host.architecture) ?? list[0];
}

export class RegistryCacheStore implements CacheStore {
  readonly name: string;
  constructor(private readonly root: string, private readonly ref: string) {
    this.name = ref;
  }

  async readDocument(): Promise<CacheDocument | undefined> {
    const dist = await import('../../distribution/index.js');
    let fetched;
    try {
      fetched = await dist.fetchManifest(this.ref, { root: this.root });
    } catch (e) {
      if (e instanceof TugError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
    let m = JSON.parse(fetched.bytes.toString('utf8')) as ManifestDoc;
    if (Array.isArray(m.manifests)) {
      const pick = pickFromIndex(m);
      if (!pick) return undefined;
      const repo = this.ref.replace(/[:@][^/]*$/, '');
      const child = await dist.fetchManifest(`${repo}@${pick.digest}`, { root: this.root });
      m = JSON.parse(child.bytes.toString('utf8')) as ManifestDoc;
    }
    if (!m.config) return undefined;
    await this.fetch(m.config);
    const bytes = await ContentStore.open(this.root).readBytes(m.config.digest, 64 * 1024 * 1024);
    return documentIn(bytes, m.config.mediaType, this.ref);
  }

  async fetch(desc: Descriptor): Promise<void> {
    if (await ContentStore.open(this.root).has(desc.digest)) return;
    const { fetchBlob } = await import('../../distribution/index.js');
    await fetchBlob(this.root, this.ref, desc);
  }

  async push(desc: Descriptor): Promise<boolean> {
    const { pushBlob } = await import('../../distribution/index.js');
    return (await pushBlob(this.root, this.ref, desc)).kind !== 'exists';
  }

  async writeDocument(doc: CacheDocument): Promise<void> {
    const { putManifest, pushBlob } = await import('../../distribution/index.js');
    const { bytes, desc } = documentBytes(doc);
    await ContentStore.open(this.root).write(bytes, { digest: desc.digest, size: desc.size });
    await pushBlob(this.root, this.ref, desc);
    await putManifest(this.ref, cacheManifest(doc, desc), MediaType.OciManifest, { root: this.root });
  }
}

const REF_NAME = 'org.opencontainers.image.ref.name';

/** An OCI image layout directory (oci-layout, index.json, blobs/sha256/…), as BuildKit's local cache. */
export class LocalCacheStore implements CacheStore {
  readonly name: string;
  constructor(private readonly root: string, private readonly dir: string, private readonly tag: string) {
    this.name = dir;
  }

  private blobPath(d: Digest): string {
    const [alg, hex] = d.split(':');
    return join(this.dir, 'blobs', alg, hex);
  }

  private index(): ManifestDoc & { schemaVersion: number } {
    const file = join(this.dir, 'index.json');
    if (!existsSync(file)) return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as ManifestDoc & { schemaVersion: number };
    } catch {
      throw new TugError('INVALID_ARCHIVE', `cache ${this.dir}: index.json is not valid JSON`, { hint: 'export it again with --cache-to type=local,dest=…' });
    }
  }

  private readBlob(desc: Descriptor): Buffer {
    const p = this.blobPath(desc.digest);
    if (!existsSync(p)) throw new TugError('INVALID_ARCHIVE', `cache ${this.dir}: blob ${desc.digest} is missing`);
    const bytes = readFileSync(p);
    if (sha256(bytes) !== desc.digest) throw new TugError('DIGEST_MISMATCH', `cache ${this.dir}: blob ${desc.digest} is corrupt`);
    return bytes;
  }

  async readDocument(): Promise<CacheDocument | undefined> {
    if (!existsSync(join(this.dir, 'index.json'))) return undefined;
    const list = this.index().manifests ?? [];
    const entry = list.find((d) => d.annotations?.[REF_NAME] === this.tag) ?? (list.length === 1 ? list[0] : undefined);
    if (!entry) return undefined;
    const m = JSON.parse(this.readBlob(entry).toString('utf8')) as ManifestDoc;
    if (!m.config) return undefined;
    return documentIn(this.readBlob(m.config), m.config.mediaType, this.dir);
  }

  async fetch(desc: Descriptor): Promise<void> {
    const store = ContentStore.open(this.root);
    if (await store.has(desc.digest)) return;
    const p = this.blobPath(desc.digest);
    if (!existsSync(p)) throw new TugError('INVALID_ARCHIVE', `cache ${this.dir}: blob ${desc.digest} is missing`, { hint: 'export it again with --cache-to type=local,dest=…' });
    await store.write(createReadStream(p), { digest: desc.digest, size: desc.size });
  }

  private put(digest: Digest, write: (tmp: string) => void): boolean {
    const p = this.blobPath(digest);
    if (existsSync(p)) return false;
    mkdirSync(join(p, '..'), { recursive: true });
    const tmp = `${p}.tmp-${randomBytes(4).toString('hex')}`;
    write(tmp);
    renameSync(tmp, p);
    return true;
  }

  async push(desc: Descriptor): Promise<boolean> {
    const src = ContentStore.open(this.root).blobPath(desc.digest);
    return this.put(desc.digest, (tmp) => copyFileSync(src, tmp));
  }

  async writeDocument(doc: CacheDocument): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const { bytes, desc } = documentBytes(doc);
    this.put(desc.digest, (tmp) => writeFileSync(tmp, bytes));
    const manifest = cacheManifest(doc, desc);
    const mdesc = { mediaType: MediaType.OciManifest, digest: sha256(manifest), size: manifest.length };
    this.put(mdesc.digest, (tmp) => writeFileSync(tmp, manifest));
    writeFileSync(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const index = this.index();
    const others = (index.manifests ?? []).filter((d) => d.annotations?.[REF_NAME] !== this.tag);
    index.manifests = [...others, { ...mdesc, artifactType: CACHE_ARTIFACT_TYPE, annotations: { [REF_NAME]: this.tag } }];
    const tmp = join(this.dir, `index.json.tmp-${randomBytes(4).toString('hex')}`);
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, join(this.dir, 'index.json'));
  }
}

/**
 * An image in the local store that carries an inline cache (built here with
 * --cache-to type=inline, or pulled): `--cache-from IMAGE` reads it without a
 * registry, as docker's classic builder used local images.
 */
export class LocalImageCacheStore implements CacheStore {
  readonly name: string;
  constructor(private readonly root: string, private readonly configDigest: Digest, ref: string) {
    this.name = `${ref} (local image)`;
  }

  async readDocument(): Promise<CacheDocument | undefined> {
    const bytes = await ContentStore.open(this.root).readBytes(this.configDigest, 64 * 1024 * 1024);
    return documentIn(bytes, MediaType.OciConfig, this.name);
  }

  async fetch(desc: Descriptor): Promise<void> {
    if (!(await ContentStore.open(this.root).has(desc.digest))) throw new TugError('NOT_FOUND', `blob ${desc.digest} of ${this.name} is not in the local store`);
  }

  async push(): Promise<boolean> {
    throw new TugError('UNSUPPORTED', 'a local image is not a cache destination');
  }

  async writeDocument(): Promise<void> {
    throw new TugError('UNSUPPORTED', 'a local image is not a cache destination');
  }
}

/** A --cache-from reference: an image in the local store when there is one by that name, else the registry. */
export async function sourceStore(root: string, ref: string): Promise<CacheStore> {
  try {
    const { ImageService } = await import('../../image/service.js');
    const img = ImageService.open(root).resolve(ref);
    return new LocalImageCacheStore(root, img.id, ref);
  } catch (e) {
    if (e instanceof TugError && (e.code === 'NOT_FOUND' || e.code === 'INVALID_ARGUMENT')) return new RegistryCacheStore(root, ref);
    throw e;
  }
}

