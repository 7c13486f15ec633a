// The cache document tug exports: step key -> stage state records, plus the
// exported cache-mount tarballs. The same document is the config blob of a
// registry or local (OCI layout) cache manifest, and is embedded in an image
// config for type=inline. Secrets never reach it: keys hold only secret ids,
// states hold layers and image configs.
import type { Descriptor, Digest } from '../../oci/types.js';
import { isDigest } from '../../oci/digest.js';
import { TugError } from '../../util/errors.js';
import type { StageState } from '../cache.js';
import type { ExportedStep } from '../remote-cache.js';

/** artifactType and config media type of a tug cache manifest. */
export const CACHE_ARTIFACT_TYPE = 'application/vnd.tug.buildcache.v1';
export const CACHE_CONFIG_MEDIA_TYPE = 'application/vnd.tug.buildcache.config.v1+json';
/** A cache mount's contents: a gzipped tar of the directory. */
export const CACHE_MOUNT_MEDIA_TYPE = 'application/vnd.tug.buildcache.mount.v1.tar+gzip';
/** The top-level image-config key holding an inline cache document. */
export const INLINE_CONFIG_KEY = 'tug.buildcache.v1';

export interface CacheRecord {
  key: string;
  stage: string;
  state: StageState;
}

export interface CacheMountBlob {
  id: string;
  blob: Descriptor;
  /** The directory's own mode and owner, restored with it. */
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface CacheDocument {
  version: 1;
  records: CacheRecord[];
  mounts: CacheMountBlob[];
}

export function makeDocument(steps: ExportedStep[], mounts: CacheMountBlob[]): CacheDocument {
  const seen = new Set<string>();
  const records: CacheRecord[] = [];
  for (const s of steps) {
    if (seen.has(s.key)) continue;
    seen.add(s.key);
    records.push({ key: s.key, stage: s.stage, state: s.state });
  }
  return { version: 1, records, mounts };
}

/** Every blob the document names, layers first, each once. */
export function documentBlobs(doc: CacheDocument): Descriptor[] {
  const out = new Map<Digest, Descriptor>();
  for (const r of doc.records) for (const l of r.state.layers) if (!out.has(l.blob.digest)) out.set(l.blob.digest, l.blob);
  for (const m of doc.mounts) if (!out.has(m.blob.digest)) out.set(m.blob.digest, m.blob);
  return [...out.values()];
}

function bad(where: string, why: string): TugError {
  return new TugError('INVALID_ARCHIVE', `cache ${where} is not a valid tug cache: ${why}`, { hint: 'export it again with --cache-to' });
}

function checkDesc(d: unknown, where: string): Descriptor {
  const o = d as Descriptor | undefined;
  if (!o || typeof o.mediaType !== 'string' || typeof o.digest !== 'string' || !isDigest(o.digest) || !Number.isSafeInteger(o.size) || o.size < 0) throw bad(where, 'bad blob descriptor');
  return { mediaType: o.mediaType, digest: o.digest, size: o.size };
}

/** Validates a document read from outside (registry, directory, image config). */
export function parseDocument(value: unknown, where: string): CacheDocument {
  const o = value as Partial<CacheDocument> | null;
  if (!o || typeof o !== 'object' || o.version !== 1 || !Array.isArray(o.records)) throw bad(where, 'unknown version or no records');
  const records: CacheRecord[] = [];
  for (const r of o.records) {
    const s = r?.state;
    if (typeof r?.key !== 'string' || !s || typeof s !== 'object' || !Array.isArray(s.layers) || !s.config || typeof s.config !== 'object') throw bad(where, 'bad record');
    for (const l of s.layers) {
      checkDesc(l?.blob, where);
      if (typeof l.diffID !== 'string' || !isDigest(l.diffID)) throw bad(where, 'bad diffID');
    }
    records.push({ key: r.key, stage: typeof r.stage === 'string' ? r.stage : '', state: s });
  }
  const mounts: CacheMountBlob[] = [];
  for (const m of Array.isArray(o.mounts) ? o.mounts : []) {
    if (typeof m?.id !== 'string') throw bad(where, 'bad cache mount');
    const num = (v: unknown): number | undefined => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);
    mounts.push({ id: m.id, blob: checkDesc(m.blob, where), mode: num(m.mode), uid: num(m.uid), gid: num(m.gid) });
  }
  return { version: 1, records, mounts };
}
