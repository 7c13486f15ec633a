// `tug load`: a docker-archive (docker/podman save, old and ≥25 layouts) or an
// OCI archive (skopeo/buildah oci-archive) streamed once: every large file goes
// straight into the content store while it is hashed, small JSON files stay in
// memory, and the images are assembled when the archive ends (manifest.json
// usually comes last). Anything wrong → the blobs this load added are removed.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TarReader } from '../archive/index.js';
import { sha256 } from '../oci/digest.js';
import { isIndexType, isManifestType, MediaType } from '../oci/mediatypes.js';
import type { Descriptor, Digest, Index, Manifest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { decompressed, sniffCompression } from './layerwrite.js';
import { familiarName, parseRefDefaultTag, refString } from './refs.js';
import { BlobTracker, goArch, type ImageService } from './service.js';
import type { ImageRecord } from './types.js';

const SMALL = 1 << 20; // files up to this size are kept in memory until we know what they are
const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;

export interface LoadedImage {
  image: ImageRecord;
  /** Familiar names loaded ("busybox:latest"); empty for an untagged image. */
  names: string[];
  /** Names that moved here from another image: [name, previous image id]. */
  renamed: Array<[string, Digest]>;
}

interface Stored {
  digest: Digest;
  size: number;
}

function badArchive(message: string, hint = 'the archive is not a docker-archive or OCI archive tug can read; re-create it with `save`'): TugError {
  return new TugError('INVALID_ARCHIVE', message, { hint });
}

const METADATA = new Set(['manifest.json', 'index.json', 'oci-layout', 'repositories']);

function looksLikeJson(path: string, b: Buffer): boolean {
  if (METADATA.has(path)) return true;
  for (const c of b) {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    return c === 0x7b || c === 0x5b; // { or [
  }
  return false;
}

function cleanPath(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

class ArchiveFiles {
  readonly small = new Map<string, Buffer>();
  readonly stored = new Map<string, Stored>();
  /** Link entries: path → the path it names. */
  readonly links = new Map<string, string>();
  constructor(private readonly svc: ImageService, readonly tracker: BlobTracker) {}

  /** Follows link entries (a few hops at most). */
  resolve(path: string): string {
    for (let i = 0; i < 8 && !this.small.has(path) && !this.stored.has(path) && this.links.has(path); i++) path = this.links.get(path) as string;
    return path;
  }

  has(path: string): boolean {
    path = this.resolve(path);
    return this.small.has(path) || this.stored.has(path);
  }

  json<T>(path: string): T {
    path = this.resolve(path);
    const b = this.small.get(path);
    if (!b) throw badArchive(this.stored.has(path) ? `${path} is too large to be JSON metadata` : `${path} is missing from the archive`);
    try {
      return JSON.parse(b.toString('utf8')) as T;
    } catch {
      throw badArchive(`${path} in the archive is not valid JSON`);
    }
  }

  /** Puts the file at path in the content store (if it is not yet) and returns its digest and size. */
  async toStore(path: string, expect?: Digest): Promise<Stored> {
    path = this.resolve(path);
    const st = this.stored.get(path);
    if (st) {
      if (expect && st.digest !== expect) throw new TugError('DIGEST_MISMATCH', `${path}: digest mismatch: expected ${expect}, got ${st.digest}`, { hint: 'the archive is corrupt or was modified; nothing was loaded' });
      return st;
    }
    const b = this.small.get(path);
    if (!b) throw badArchive(`${path} is referenced but missing from the archive`);
    const digest = sha256(b);
    if (expect && digest !== expect) throw new TugError('DIGEST_MISMATCH', `${path}: digest mismatch: expected ${expect}, got ${digest}`, { hint: 'the archive is corrupt or was modified; nothing was loaded' });
    await this.tracker.note(digest);
    await this.svc.content.write(b, { digest, size: b.length });
    const out = { digest, size: b.length };
    this.stored.set(path, out);
    return out;
  }

  async storeBuffer(b: Buffer, expect?: Digest, path = 'a blob'): Promise<Stored> {
    const digest = sha256(b);
    if (expect && digest !== expect) throw new TugError('DIGEST_MISMATCH', `${path}: digest mismatch: expected ${expect}, got ${digest}`, { hint: 'the archive is corrupt or was modified; nothing was loaded' });
    await this.tracker.note(digest);
    await this.svc.content.write(b, { digest, size: b.length });
    return { digest, size: b.length };
  }
}

async function readArchive(svc: ImageService, src: Readable, files: ArchiveFiles): Promise<void> {
  const { stream } = await decompressed(src, 'the archive');
  const reader = new TarReader(stream);
  let entries = 0;
  for await (const e of reader.entries()) {
    entries++;
    if (e.header.type === 'symlink' || e.header.type === 'hardlink') {
      // older docker saves link identical layer.tar files to one copy
      const from = cleanPath(e.header.name);
      const target = e.header.type === 'hardlink' ? cleanPath(e.header.linkname) : posix.normalize(posix.join(posix.dirname(from), e.header.linkname));
      files.links.set(from, target);
      continue;
    }
    if (e.header.type !== 'file') continue;
    const path = cleanPath(e.header.name);
    const blobHex = BLOB_PATH.exec(path)?.[1];
    if (e.header.size <= SMALL) {
      const chunks: Buffer[] = [];
      for await (const c of e.body()) chunks.push(Buffer.from(c));
      const buf = Buffer.concat(chunks);
      // only JSON stays in memory (manifests, configs, indexes); small layers go to the store now
      if (looksLikeJson(path, buf)) files.small.set(path, buf);
      else files.stored.set(path, await files.storeBuffer(buf, blobHex ? `sha256:${blobHex}` : undefined, path));
      continue;
    }
    const expect = blobHex ? `sha256:${blobHex}` : undefined;
    const w = await svc.content.writer();
    try {
      await pipeline(e.body(), w.stream());
    } catch (err) {
      await w.abort();
      throw err;
    }
    const digest = w.digest();
    if (expect && digest !== expect) {
      await w.abort();
      throw new TugError('DIGEST_MISMATCH', `${path}: digest mismatch: expected ${expect}, got ${digest}`, { hint: 'the archive is corrupt or was modified; nothing was loaded' });
    }
    await files.tracker.note(digest);
    const c = await w.commit({ digest, size: e.header.size });
    files.stored.set(path, c);
  }
  if (entries === 0) throw badArchive('the archive is empty', 'expected a tar archive made by `save` (docker-archive or OCI archive)');
}

/** The manifests an OCI index names, one per platform-less or matching-platform entry (nested indexes resolved to the host platform). */
async function ociManifests(files: ArchiveFiles, index: Index): Promise<Array<{ desc: Descriptor; names: string[] }>> {
  const out: Array<{ desc: Descriptor; names: string[] }> = [];
  for (const d of index.manifests ?? []) {
    const ann = d.annotations ?? {};
    const names: string[] = [];
    const full = ann['io.containerd.image.name'];
    const refName = ann['org.opencontainers.image.ref.name'];
    if (full) names.push(full);
    else if (refName && /[/:]/.test(refName)) names.push(refName);
    let desc = d;
    if (isIndexType(d.mediaType)) {
      const path = `blobs/sha256/${d.digest.slice(7)}`;
      await files.toStore(path, d.digest);
      const inner = files.json<Index>(path);
      const arch = goArch();
      const pick = inner.manifests.find((m) => m.platform?.os === 'linux' && m.platform?.architecture === arch) ?? inner.manifests.find((m) => m.platform?.os !== 'unknown');
      if (!pick) throw badArchive(`the index ${d.digest} has no manifest for linux/${arch}`);
      desc = pick;
    }
    if (!isManifestType(desc.mediaType)) continue;
    out.push({ desc, names });
  }
  return out;
}

export async function loadArchive(svc: ImageService, src: Readable): Promise<LoadedImage[]> {
  const tracker = new BlobTracker(svc);
  const files = new ArchiveFiles(svc, tracker);
  const loaded: LoadedImage[] = [];
  try {
    await readArchive(svc, src, files);
    const plans: Array<{ manifestDigest: Digest; names: string[] }> = [];
    const dockerManifest = files.has('manifest.json')
      ? files.json<Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>>('manifest.json')
      : undefined;
    if (files.has('index.json') && (!dockerManifest || files.has('oci-layout'))) {
      // OCI layout (also inside docker ≥25 archives); docker's RepoTags add names by config
      const index = files.json<Index>('index.json');
      if (!Array.isArray(index.manifests)) throw badArchive('index.json has no manifests list');
      for (const { desc, names } of await ociManifests(files, index)) {
        const m = await files.toStore(`blobs/sha256/${desc.digest.slice(7)}`, desc.digest);
        const manifest = files.json<Manifest>(`blobs/sha256/${desc.digest.slice(7)}`);
        for (const d of [manifest.config, ...(manifest.layers ?? [])]) {
          if (!d?.digest || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw badArchive(`manifest ${desc.digest} has an invalid descriptor`);
          await files.toStore(`blobs/sha256/${d.digest.slice(7)}`, d.digest);
        }
        const extra = (dockerManifest ?? []).filter((e) => e.Config === `blobs/sha256/${manifest.config.digest.slice(7)}`).flatMap((e) => e.RepoTags ?? []);
        plans.push({ manifestDigest: m.digest, names: [...names, ...extra] });
      }
    } else if (dockerManifest) {
      if (!Array.isArray(dockerManifest)) throw badArchive('manifest.json is not a list of images');
      for (const entry of dockerManifest) {
        if (typeof entry.Config !== 'string' || !Array.isArray(entry.Layers)) throw badArchive('manifest.json entry lacks Config or Layers');
        const config = await files.toStore(cleanPath(entry.Config));
        const layers: Descriptor[] = [];
        for (const p of entry.Layers) {
          const l = await files.toStore(cleanPath(p));
          const head = await svc.content.open(l.digest, { start: 0, end: Math.min(5, Math.max(0, l.size - 1)) });
          const chunks: Buffer[] = [];
          for await (const c of head) chunks.push(c as Buffer);
          const comp = sniffCompression(Buffer.concat(chunks));
          layers.push({ mediaType: comp === 'gzip' ? MediaType.OciLayerGzip : comp === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer, digest: l.digest, size: l.size });
        }
        const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: config.digest, size: config.size }, layers };
        const m = await files.storeBuffer(Buffer.from(JSON.stringify(manifest)));
        plans.push({ manifestDigest: m.digest, names: entry.RepoTags ?? [] });
      }
    } else {
      throw badArchive('the archive has neither manifest.json (docker-archive) nor index.json (OCI layout)');
    }
    if (!plans.length) throw badArchive('the archive holds no images');
    // Check every name before recording anything.
    for (const p of plans) p.names = [...new Set(p.names.map((n) => refString(parseRefDefaultTag(n))))];
    for (const p of plans) {
      const before = new Map(p.names.map((n) => [n, svc.records.idByName(n)] as const));
      const image = await svc.addImage(p.manifestDigest, p.names);
      const renamed: Array<[string, Digest]> = [];
      for (const [n, prev] of before) if (prev && prev !== image.id) renamed.push([familiarName(n), prev]);
      loaded.push({ image, names: p.names.map(familiarName), renamed });
    }
  } catch (e) {
    await tracker.finish(false);
    throw e;
  }
  // Also drops blobs in the archive that no loaded image uses.
  await tracker.finish(false);
  return loaded;
}
