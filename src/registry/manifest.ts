// Checks a pushed manifest and says what it refers to. Accepted: OCI image
// manifests and indexes, Docker schema2 manifests and manifest lists; the
// references it returns are what must already be in the repository.
import { MediaType } from '../oci/mediatypes.js';
import type { Descriptor } from '../oci/types.js';
import { RegistryError } from './errors.js';

/** The spec asks registries to accept manifests of at least 4 MiB; larger ones get 413. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const SUPPORTED = new Set<string>([MediaType.OciManifest, MediaType.OciIndex, MediaType.DockerManifest, MediaType.DockerManifestList]);
const SHA256 = /^sha256:[a-f0-9]{64}$/;

export interface ParsedManifest {
  mediaType: string;
  isIndex: boolean;
  /** config + layers of an image manifest (blobs that must be present). */
  blobs: Descriptor[];
  /** manifests of an index (manifests that must be present). */
  children: Descriptor[];
  subject?: Descriptor;
  /** What the referrers API reports: artifactType, else the config's media type. */
  artifactType?: string;
  annotations?: Record<string, string>;
}

function invalid(message: string, detail?: unknown): RegistryError {
  return new RegistryError('MANIFEST_INVALID', message, detail);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`${where}: not a descriptor`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw invalid(`${where}: mediaType missing`);
  if (typeof d.digest !== 'string') throw invalid(`${where}: digest missing`);
  if (!SHA256.test(d.digest)) {
    const other = !d.digest.startsWith('sha256:') && /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d.digest);
    throw invalid(`${where}: ${other ? 'unsupported digest algorithm (only sha256)' : 'invalid digest'}`, { digest: d.digest.slice(0, 200) });
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw invalid(`${where}: size must be a non-negative integer`);
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) throw invalid(`${where}: urls must be strings`);
  if (d.annotations !== undefined && !isStringMap(d.annotations)) throw invalid(`${where}: annotations must map strings to strings`);
  return d as unknown as Descriptor;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Parses and validates; `contentType` is the request's Content-Type. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(`manifest is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('manifest must be a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw invalid('only schemaVersion 2 manifests are supported', { schemaVersion: m.schemaVersion ?? null });
  const header = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const field = typeof m.mediaType === 'string' ? m.mediaType : undefined;
  if (m.mediaType !== undefined && typeof m.mediaType !== 'string') throw invalid('mediaType must be a string');
  if (field && SUPPORTED.has(header) && header !== field) throw invalid(`Content-Type ${header} does not match the manifest's mediaType ${field}`);
  let mediaType = field ?? (SUPPORTED.has(header) ? header : undefined);
  if (!mediaType) {
    // OCI allows an omitted mediaType; tell the two OCI shapes apart by their fields
    if (Array.isArray(m.manifests)) mediaType = MediaType.OciIndex;
    else if (m.config !== undefined) mediaType = MediaType.OciManifest;
  }
  if (!mediaType || !SUPPORTED.has(mediaType)) throw invalid(`unsupported manifest media type ${mediaType ?? header ?? '(none)'}`);
  if (m.annotations !== undefined && !isStringMap(m.annotations)) throw invalid('annotations must map strings to strings');
  if (m.artifactType !== undefined && typeof m.artifactType !== 'string') throw invalid('artifactType must be a string');
  const subject = m.subject === undefined ? undefined : descriptor(m.subject, 'subject');
  const isIndex = mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
  if (isIndex) {
    if (!Array.isArray(m.manifests)) throw invalid('an index needs a manifests array');
    const children = m.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return { mediaType, isIndex, blobs: [], children, subject, artifactType: m.artifactType as string | undefined, annotations: m.annotations as Record<string, string> | undefined };
  }
  if (m.manifests !== undefined) throw invalid('an image manifest has no manifests field');
  const config = descriptor(m.config, 'config');
  if (!Array.isArray(m.layers)) throw invalid('an image manifest needs a layers array');
  const layers = m.layers.map((d, i) => descriptor(d, `layers[${i}]`));
  // non-distributable layers (with urls) are fetched from elsewhere: not required here
  const blobs = [config, ...layers.filter((l) => !l.urls?.length)];
  return {
    mediaType,
    isIndex,
    blobs,
    children: [],
    subject,
    artifactType: (m.artifactType as string | undefined) ?? config.mediaType,
    annotations: m.annotations as Record<string, string> | undefined,
  };
}
