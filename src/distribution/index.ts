// The distribution client's public surface: whole images (pull/push), and the
// blob/manifest operations a registry cache (the builder's cache import and
// export) needs. References are docker-style strings ("host:5000/repo:tag").
import { ContentStore } from '../content/index.js';
import type { Descriptor, Digest } from '../oci/types.js';
import { RegistryClient, type ClientOptions, type FetchedManifest } from './client.js';
import { fetchBlobInto, type FetchBlobResult } from './fetch-blob.js';
import { pushBlobFrom, type PushBlobOutcome } from './push-blob.js';
import { parseRemote, remoteReference } from './remote-ref.js';
import { recordSources } from './sources.js';

export { pullImage, pullAllTags, type PullOptions, type PullResult } from './pull.js';
export { pushImage, pushManifest, type PushOptions, type PushResult } from './push.js';
export { login, logout } from './login.js';
export { inspectManifest } from './inspect.js';
export { RegistryClient, type ClientOptions, type FetchedManifest } from './client.js';
export type { ProgressEvent, ProgressSink } from './progress.js';
export { progressRenderer } from './progress.js';
export type { PushBlobOutcome } from './push-blob.js';
export type { FetchBlobResult } from './fetch-blob.js';

function repoOf(ref: string): { client: (o: ClientOptions) => RegistryClient; path: string; host: string; reference: string } {
  const r = parseRemote(ref, false);
  return { client: (o) => RegistryClient.for(r.host, o), path: r.path, host: r.host, reference: remoteReference(r) };
}

/** GET a manifest or index by tag or digest (verified when by digest). `ref` = "host/repo:tag" or "host/repo@sha256:…". */
export async function fetchManifest(ref: string, opts: ClientOptions = {}): Promise<FetchedManifest> {
  const r = repoOf(ref);
  return r.client(opts).getManifest(r.path, r.reference);
}

/** Downloads one blob of repository `repo` ("host/repo") into root's content store, verified; resumable. */
export async function fetchBlob(root: string, repo: string, desc: Descriptor, opts: ClientOptions & { onProgress?: (current: number, total: number) => void } = {}): Promise<FetchBlobResult> {
  const r = repoOf(repo);
  const res = await fetchBlobInto(r.client({ ...opts, root }), r.path, desc, ContentStore.open(root), { onProgress: opts.onProgress });
  recordSources(root, r.host, r.path, [desc.digest]);
  return res;
}

/** Uploads one blob from root's content store to `repo` (HEAD, mount, or upload). */
export async function pushBlob(root: string, repo: string, desc: Descriptor, opts: ClientOptions & { chunkSize?: number; onProgress?: (current: number, total: number) => void } = {}): Promise<PushBlobOutcome> {
  const r = repoOf(repo);
  const out = await pushBlobFrom(r.client({ ...opts, root }), r.path, desc, ContentStore.open(root), { root, chunkSize: opts.chunkSize, onProgress: opts.onProgress });
  recordSources(root, r.host, r.path, [desc.digest]);
  return out;
}

/** PUTs a manifest (or index) under `ref`'s tag or digest; returns its digest. Its blobs must be pushed first. */
export async function putManifest(ref: string, bytes: Buffer, mediaType: string, opts: ClientOptions = {}): Promise<Digest> {
  const r = repoOf(ref);
  return r.client(opts).putManifest(r.path, r.reference, bytes, mediaType);
}

/** Size of a blob in `repo`, or undefined. */
export async function headBlob(repo: string, digest: Digest, opts: ClientOptions = {}): Promise<number | undefined> {
  const r = repoOf(repo);
  return r.client(opts).headBlob(r.path, digest);
}
