// tug pull: resolve the manifest (by tag or digest, choosing a platform from an
// index), download config and layers in parallel into the content store
// (verified on commit, resumable), store the manifests, then record the image.
// Layers are stored compressed as pulled; unpacking into snapshots happens
// lazily, when a container first needs them (the snapshot module's job).
import { ContentStore } from '../content/index.js';
import { parseDigest } from '../oci/digest.js';
import { isIndexType, isManifestType } from '../oci/mediatypes.js';
import type { Descriptor, Digest, Index, Manifest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { RegistryClient, type ClientOptions, type FetchedManifest } from './client.js';
import { fetchBlobInto } from './fetch-blob.js';
import { recordPulledImage } from './image-link.js';
import { hostPlatform, parsePlatform, selectManifest, type PlatformSpec } from './platform.js';
import { noProgress, type ProgressSink } from './progress.js';
import { canonical, familiar, parseRemote, remoteReference, type RemoteRef } from './remote-ref.js';
import { recordSources, sourcesDb } from './sources.js';
import { addLeaseResource, withLease } from '../meta/leases.js';

export interface PullOptions extends ClientOptions {
  platform?: string | PlatformSpec;
  progress?: ProgressSink;
  /** Parallel blob downloads (default 4; docker uses 3; TUG_MAX_CONCURRENT_DOWNLOADS). */
  concurrency?: number;
  /** Only fetch into the content store; do not record an image (registry caches, the builder). */
  noRecord?: boolean;
}

export interface PullResult {
  /** "docker.io/library/busybox:latest" or "…@sha256:…". */
  reference: string;
  /** docker's familiar form, "busybox:latest". */
  familiar: string;
  /** Digest of what the tag points at (an index or a manifest): the RepoDigest. */
  digest: Digest;
  /** The platform manifest that was pulled. */
  manifestDigest: Digest;
  manifestMediaType: string;
  configDigest: Digest;
  layers: Descriptor[];
  /** Bytes transferred by this pull (0 when everything was present). */
  transferred: number;
  /** False when the image was already present under this name. */
  downloaded: boolean;
}

export function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    throw new TugError('REGISTRY', `${what} is not valid JSON`, { hint: 'the registry sent a malformed manifest; nothing was stored' });
  }
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const x = d as Partial<Descriptor> | null;
  if (!x || typeof x.digest !== 'string' || typeof x.size !== 'number' || !Number.isSafeInteger(x.size) || x.size < 0 || typeof x.mediaType !== 'string') {
    throw new TugError('REGISTRY', `${what} has an invalid descriptor`, { hint: 'the registry sent a malformed manifest; nothing was stored' });
  }
  parseDigest(x.digest);
  return x as Descriptor;
}

export function checkManifest(m: Manifest, what: string): Manifest {
  if (m.schemaVersion !== 2 || typeof m.config !== 'object' || !Array.isArray(m.layers)) {
    throw new TugError('UNSUPPORTED', `${what} is not an OCI or Docker schema2 image manifest`, { hint: 'schema1 manifests are not supported' });
  }
  checkDescriptor(m.config, `${what} config`);
  m.layers.forEach((l, i) => checkDescriptor(l, `${what} layer ${i}`));
  return m;
}

/** Fetches the manifest a reference names, resolving an index to one platform. */
export async function resolveManifest(
  client: RegistryClient,
  ref: RemoteRef,
  platform: PlatformSpec,
): Promise<{ top: FetchedManifest; manifest: FetchedManifest; parsed: Manifest }> {
  const display = familiar(ref);
  const top = await client.getManifest(ref.path, remoteReference(ref), display);
  let manifest = top;
  if (isIndexType(top.mediaType)) {
    const index = parseJson<Index>(top.bytes, `index ${top.digest}`);
    if (!Array.isArray(index.manifests)) throw new TugError('REGISTRY', `index ${top.digest} has no manifests list`);
    index.manifests.forEach((d, i) => checkDescriptor(d, `index ${top.digest} entry ${i}`));
    const chosen = selectManifest(index.manifests, platform, display);
    manifest = await client.getManifest(ref.path, chosen.digest, `${display} (${chosen.digest})`);
    if (manifest.bytes.length !== chosen.size) {
      throw new TugError('DIGEST_MISMATCH', `manifest ${chosen.digest} is ${manifest.bytes.length} bytes, the index says ${chosen.size}`);
    }
    if (isIndexType(manifest.mediaType)) throw new TugError('UNSUPPORTED', `nested index ${chosen.digest} in ${display} is not supported`);
  }
  if (!isManifestType(manifest.mediaType)) {
    throw new TugError('UNSUPPORTED', `${display} has unsupported manifest media type "${manifest.mediaType}"`, {
      hint: 'tug pulls OCI and Docker schema2 images',
    });
  }
  const parsed = checkManifest(parseJson<Manifest>(manifest.bytes, `manifest ${manifest.digest}`), `manifest ${manifest.digest}`);
  return { top, manifest, parsed };
}

/** Runs tasks with at most `limit` in flight; the first failure cancels the rest. */
export async function runLimited<T>(items: T[], limit: number, fn: (item: T, cancelled: () => boolean) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await fn(item, () => failed);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
}

export const shortDigest = (d: Digest): string => d.slice(7, 19);

/** Pulls one image into the state root. */
export async function pullImage(root: string, reference: string | RemoteRef, opts: PullOptions = {}): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseRemote(reference) : reference;
  const progress = opts.progress ?? noProgress;
  const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform ?? hostPlatform();
  const client = RegistryClient.for(ref.host, { ...opts, root });
  const store = ContentStore.open(root);

  if (typeof reference === 'string' && !/[:@][^/]*$/.test(reference)) progress({ status: 'Using default tag: latest' });
  const { top, manifest, parsed } = await resolveManifest(client, ref, platform);
  // docker prints this once the manifest is known, so a missing image shows only the error
  progress({ status: `${ref.digest ?? ref.tag}: Pulling from ${ref.path}` });

  // a lease holds every blob this pull writes until the image record (a GC root) exists
  const db = sourcesDb(root);
  const leased = [top.digest, manifest.digest, parsed.config.digest, ...parsed.layers.map((l) => l.digest)];
  const { layers, todo, layerDigests, transferred, downloaded } = await withLease(db, { expiresInMs: 6 * 3600_000, labels: { module: 'distribution', pid: String(process.pid) } }, async (lease) => {
    for (const d of new Set(leased)) addLeaseResource(db, lease.id, d);
    const layers = parsed.layers;
    const blobs: Descriptor[] = [...layers, parsed.config];
    const present = new Set<Digest>();
    for (const b of blobs) if (await store.has(b.digest)) present.add(b.digest);
    const concurrency = opts.concurrency ?? Number(opts.env?.TUG_MAX_CONCURRENT_DOWNLOADS ?? process.env.TUG_MAX_CONCURRENT_DOWNLOADS ?? 4);

    const seen = new Set<Digest>();
    for (const l of layers) {
      if (seen.has(l.digest)) continue;
      seen.add(l.digest);
      progress({ id: shortDigest(l.digest), status: present.has(l.digest) ? 'Already exists' : 'Pulling fs layer' });
    }
    const todo = blobs.filter((b, i) => !present.has(b.digest) && blobs.findIndex((x) => x.digest === b.digest) === i);
    const layerDigests = new Set(layers.map((l) => l.digest));
    for (const b of todo.slice(concurrency)) if (layerDigests.has(b.digest)) progress({ id: shortDigest(b.digest), status: 'Waiting' });

    // a worker thread pays for its start-up only on big downloads
    const layerBytes = todo.filter((b) => layerDigests.has(b.digest)).reduce((n, b) => n + b.size, 0);
    const diffMode = opts.noRecord ? undefined : layerBytes >= 256 * 1024 * 1024 ? 'worker' : 'inline';
    let transferred = 0;
    const knownDiffs = new Map<Digest, { diffID: Digest; diffSize: number }>();
    await runLimited(todo, concurrency, async (desc, cancelled) => {
      const id = shortDigest(desc.digest);
      const isLayer = layerDigests.has(desc.digest);
      const r = await fetchBlobInto(client, ref.path, desc, store, {
        cancelled,
        diff: isLayer ? diffMode : undefined,
        onProgress: isLayer ? (current, total) => progress({ id, status: 'Downloading', current, total }) : undefined,
      });
      transferred += r.transferred;
      if (r.diff) knownDiffs.set(desc.digest, r.diff);
      if (isLayer) {
        progress({ id, status: 'Verifying Checksum' });
        progress({ id, status: 'Download complete' });
      }
    });

    // manifests last, so a blob they name is always present when they are
    await store.write(manifest.bytes, { digest: manifest.digest, size: manifest.bytes.length });
    if (top.digest !== manifest.digest) await store.write(top.bytes, { digest: top.digest, size: top.bytes.length });
    recordSources(root, ref.host, ref.path, [...blobs.map((b) => b.digest), manifest.digest, top.digest]);

    let downloaded = true;
    if (!opts.noRecord) {
      const rec = await recordPulledImage(root, {
        name: ref.digest ? undefined : canonical(ref),
        repository: ref.repository,
        repoDigest: top.digest,
        manifestDigest: manifest.digest,
        manifestMediaType: manifest.mediaType,
        knownDiffs,
      });
      downloaded = !rec.unchanged || transferred > 0;
    }
    return { layers, todo, layerDigests, transferred, downloaded };
  });
  for (const l of todo) if (layerDigests.has(l.digest)) progress({ id: shortDigest(l.digest), status: 'Pull complete' });
  return {
    reference: canonical(ref),
    familiar: familiar(ref),
    digest: top.digest,
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    configDigest: parsed.config.digest,
    layers,
    transferred,
    downloaded,
  };
}

/** tug pull -a: every tag of the repository. */
export async function pullAllTags(root: string, reference: string, opts: PullOptions = {}): Promise<PullResult[]> {
  const ref = parseRemote(reference, false);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new TugError('INVALID_ARGUMENT', 'tag can\'t be used with --all-tags/-a', { hint: `pull ${familiar({ ...ref, tag: undefined, digest: undefined }).replace(/:latest$/, '')} -a` });
  }
  const client = RegistryClient.for(ref.host, { ...opts, root });
  const tags = await client.listTags(ref.path);
  if (tags.length === 0) throw new TugError('NOT_FOUND', `repository ${familiar(ref).replace(/:latest$/, '')} has no tags`);
  const out: PullResult[] = [];
  for (const tag of tags.sort()) out.push(await pullImage(root, { ...ref, tag }, opts));
  return out;
}
