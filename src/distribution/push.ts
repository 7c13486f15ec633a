// tug push: send every blob the image's manifest names (HEAD first, mounts
// when another repository of the registry has them, uploads otherwise, in
// parallel), then the manifest (children of an index before the index), last.
import { ContentStore } from '../content/index.js';
import { isIndexType } from '../oci/mediatypes.js';
import type { Descriptor, Digest, Index, Manifest } from '../oci/types.js';
import { TugError } from '../util/errors.js';
import { RegistryClient, type ClientOptions } from './client.js';
import { localImageFor, localTagsOf } from './image-link.js';
import { noProgress, type ProgressSink } from './progress.js';
import { parseJson, runLimited, shortDigest } from './pull.js';
import { pushBlobFrom, type PushBlobOutcome } from './push-blob.js';
import { canonical, familiar, parseRemote, type RemoteRef } from './remote-ref.js';
import { familiarRepository } from '../image/refs.js';
import { recordSources } from './sources.js';

export interface PushOptions extends ClientOptions {
  progress?: ProgressSink;
  /** Parallel uploads (default 5, docker's max-concurrent-uploads; TUG_MAX_CONCURRENT_UPLOADS). */
  concurrency?: number;
  /** Chunk size for large blobs (default 64 MiB). */
  chunkSize?: number;
}

export interface PushResult {
  reference: string;
  tag: string;
  digest: Digest;
  size: number;
  blobs: Array<{ digest: Digest; outcome: PushBlobOutcome['kind']; from?: string }>;
}

/** Pushes the blobs of one manifest, then the manifest itself under `reference` (tag or digest). */
export async function pushManifest(
  client: RegistryClient,
  root: string,
  repository: string,
  manifestBytes: Buffer,
  mediaType: string,
  reference: string,
  opts: PushOptions = {},
): Promise<{ digest: Digest; blobs: PushResult['blobs'] }> {
  const store = ContentStore.open(root);
  const progress = opts.progress ?? noProgress;
  const blobs: PushResult['blobs'] = [];
  if (isIndexType(mediaType)) {
    const index = parseJson<Index>(manifestBytes, 'local index');
    for (const child of index.manifests) {
      if (!(await store.has(child.digest))) continue; // platforms we never pulled stay remote-only
      const bytes = await store.readBytes(child.digest);
      const r = await pushManifest(client, root, repository, bytes, child.mediaType, child.digest, opts);
      blobs.push(...r.blobs);
    }
  } else {
    const m = parseJson<Manifest>(manifestBytes, 'local manifest');
    const layers = m.layers;
    const all: Descriptor[] = [];
    for (const d of [...layers, m.config]) if (!all.some((x) => x.digest === d.digest)) all.push(d);
    const layerSet = new Set(layers.map((l) => l.digest));
    // docker lists the layers top-down
    for (const l of [...layers].reverse()) progress({ id: shortDigest(l.digest), status: 'Preparing' });
    const concurrency = opts.concurrency ?? Number(opts.env?.TUG_MAX_CONCURRENT_UPLOADS ?? process.env.TUG_MAX_CONCURRENT_UPLOADS ?? 5);
    for (const l of [...layers].reverse().slice(concurrency)) progress({ id: shortDigest(l.digest), status: 'Waiting' });
    await runLimited(all, concurrency, async (desc) => {
      const id = shortDigest(desc.digest);
      const isLayer = layerSet.has(desc.digest);
      const outcome = await pushBlobFrom(client, repository, desc, store, {
        root,
        chunkSize: opts.chunkSize,
        onProgress: isLayer ? (current, total) => progress({ id, status: 'Pushing', current, total }) : undefined,
      });
      blobs.push({ digest: desc.digest, outcome: outcome.kind, from: outcome.kind === 'mounted' ? outcome.from : undefined });
      if (isLayer) {
        progress({ id, status: outcome.kind === 'exists' ? 'Layer already exists' : outcome.kind === 'mounted' ? `Mounted from ${outcome.from}` : 'Pushed' });
      }
    });
  }
  const digest = await client.putManifest(repository, reference, manifestBytes, mediaType);
  recordSources(root, client.host, repository, [...blobs.map((b) => b.digest), digest]);
  return { digest, blobs };
}

/** Pushes a local image NAME[:TAG] to the registry its name points at. */
export async function pushImage(root: string, reference: string | RemoteRef, opts: PushOptions = {}): Promise<PushResult> {
  const ref = typeof reference === 'string' ? parseRemote(reference) : reference;
  if (ref.digest) throw new TugError('INVALID_ARGUMENT', 'cannot push a digest reference', { hint: 'push NAME[:TAG]' });
  const local = localImageFor(root, canonical(ref), familiar(ref));
  const progress = opts.progress ?? noProgress;
  progress({ status: `The push refers to repository [${familiarRepository(ref.repository)}]` });
  const client = RegistryClient.for(ref.host, { ...opts, root });
  const store = ContentStore.open(root);
  const bytes = await store.readBytes(local.manifestDigest);
  const tag = ref.tag ?? 'latest';
  const r = await pushManifest(client, root, ref.path, bytes, local.manifestMediaType, tag, opts);
  progress({ status: `${tag}: digest: ${r.digest} size: ${bytes.length}` });
  return { reference: canonical(ref), tag, digest: r.digest, size: bytes.length, blobs: r.blobs };
}

/** tug push -a: every local tag of the repository NAME names. */
export async function pushAllTags(root: string, reference: string, opts: PushOptions = {}): Promise<PushResult[]> {
  const ref = parseRemote(reference, false);
  if (ref.tag !== undefined || ref.digest !== undefined) {
    throw new TugError('INVALID_ARGUMENT', 'tag can\'t be used with --all-tags/-a', { hint: `push ${familiarRepository(ref.repository)} -a` });
  }
  const tags = localTagsOf(root, ref.repository);
  if (tags.length === 0) {
    throw new TugError('NOT_FOUND', `An image does not exist locally with the tag: ${familiarRepository(ref.repository)}`, { hint: 'tag an image into this repository first' });
  }
  const out: PushResult[] = [];
  for (const tag of tags) out.push(await pushImage(root, { ...ref, tag }, opts));
  return out;
}
