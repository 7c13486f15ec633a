// Parses and validates image manifests, indexes and configs (OCI image-spec
// v1.1 and Docker schema2), turning any JSON from outside into typed objects
// or one clear TugError. Pure: no I/O.
import { TugError } from '../util/errors.js';
import { parseDigest, sha256 } from './digest.js';
import { MediaType, isIndexType, isManifestType } from './mediatypes.js';
import type { Descriptor, ImageConfig, Index, Manifest, Platform } from './types.js';

// RFC 6838 type/subtype, as the OCI descriptor spec requires.
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

type Json = Record<string, unknown>;

function fail(what: string, detail: string): TugError {
  return new TugError('INVALID_ARGUMENT', `invalid ${what}: ${detail}`, {
    hint: 'the image data is malformed; check where it came from',
  });
}

function parseJson(bytes: Buffer | string, what: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (e) {
    throw fail(what, `not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw fail(what, 'expected a JSON object');
  return v;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, what: string, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === 'string')) throw fail(what, `${field} must map strings to strings`);
  return v as Record<string, string>;
}

function optString(v: unknown, what: string, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail(what, `${field} must be a string`);
  return v;
}

export function isValidMediaType(mt: string): boolean {
  return MEDIA_TYPE_RE.test(mt);
}

function platformOf(v: unknown, what: string): Platform | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || typeof v.architecture !== 'string' || typeof v.os !== 'string') {
    throw fail(what, 'platform needs "architecture" and "os" strings');
  }
  if (v['os.features'] !== undefined && !(Array.isArray(v['os.features']) && v['os.features'].every((x) => typeof x === 'string'))) {
    throw fail(what, 'platform "os.features" must be a list of strings');
  }
  optString(v.variant, what, 'platform.variant');
  optString(v['os.version'], what, 'platform "os.version"');
  return v as unknown as Platform;
}

/** Validates one descriptor: media type, digest, size, and embedded data when present. */
export function validateDescriptor(v: unknown, what = 'descriptor'): Descriptor {
  if (!isObject(v)) throw fail(what, 'expected an object');
  if (typeof v.mediaType !== 'string' || !MEDIA_TYPE_RE.test(v.mediaType)) throw fail(what, `bad mediaType ${JSON.stringify(v.mediaType)}`);
  if (typeof v.digest !== 'string') throw fail(what, 'missing digest');
  try {
    parseDigest(v.digest);
  } catch (e) {
    throw fail(what, e instanceof Error ? e.message : String(e));
  }
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw fail(what, `size must be a non-negative integer, got ${JSON.stringify(v.size)}`);
  if (v.urls !== undefined && !(Array.isArray(v.urls) && v.urls.every((u) => typeof u === 'string'))) throw fail(what, 'urls must be a list of strings');
  stringMap(v.annotations, what, 'annotations');
  platformOf(v.platform, what);
  optString(v.artifactType, what, 'artifactType');
  if (v.data !== undefined) {
    // OCI 1.1 embedded content must be base64 of exactly the described bytes.
    if (typeof v.data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.data)) throw fail(what, 'data must be base64');
    const bytes = Buffer.from(v.data, 'base64');
    if (bytes.length !== v.size || sha256(bytes) !== v.digest) throw fail(what, `embedded data does not match ${v.digest} (${v.size} bytes)`);
  }
  return v as unknown as Descriptor;
}

function checkSchema(doc: Json, what: string): void {
  if (doc.schemaVersion === 1) {
    throw new TugError('UNSUPPORTED', `${what}: Docker schema 1 manifests are not supported`, {
      hint: 'push the image again with a current Docker or convert it with skopeo',
    });
  }
  if (doc.schemaVersion !== 2) throw fail(what, `schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`);
}

/** The media type a manifest/index document claims; when it has none, what its shape says (OCI). */
export function detectMediaType(bytes: Buffer | string): string {
  const doc = parseJson(bytes, 'manifest');
  if (typeof doc.mediaType === 'string') return doc.mediaType;
  if (Array.isArray(doc.manifests)) return MediaType.OciIndex;
  if (doc.config !== undefined || Array.isArray(doc.layers)) return MediaType.OciManifest;
  throw fail('manifest', 'neither a manifest (config, layers) nor an index (manifests)');
}

/**
 * The document's mediaType field, if any, must agree with what the caller was
 * told (descriptor, Content-Type); an OCI document may omit it.
 */
function checkMediaType(doc: Json, expected: string | undefined, what: string, isKind: (mt: string) => boolean): string {
  const declared = optString(doc.mediaType, what, 'mediaType');
  if (declared !== undefined && !isKind(declared)) throw fail(what, `unexpected mediaType ${declared}`);
  if (expected !== undefined && !isKind(expected)) throw fail(what, `unexpected mediaType ${expected}`);
  if (declared !== undefined && expected !== undefined && declared !== expected) {
    throw fail(what, `mediaType ${declared} does not match the expected ${expected}`);
  }
  return declared ?? expected ?? (isKind(MediaType.OciManifest) ? MediaType.OciManifest : MediaType.OciIndex);
}

/** Parses an image manifest (OCI or Docker schema2). `mediaType`: what the descriptor or Content-Type said. */
export function parseManifest(bytes: Buffer | string, mediaType?: string): Manifest {
  const what = 'manifest';
  const doc = parseJson(bytes, what);
  checkSchema(doc, what);
  if (Array.isArray(doc.manifests)) throw fail(what, 'this is an image index, not a manifest');
  const mt = checkMediaType(doc, mediaType, what, isManifestType);
  validateDescriptor(doc.config, `${what} config`);
  if (!Array.isArray(doc.layers)) throw fail(what, 'layers must be a list');
  doc.layers.forEach((l, i) => validateDescriptor(l, `${what} layer ${i}`));
  if (mt === MediaType.DockerManifest && (doc.config as Descriptor).mediaType !== MediaType.DockerConfig) {
    throw fail(what, `a Docker schema2 manifest needs config mediaType ${MediaType.DockerConfig}`);
  }
  if (doc.subject !== undefined) validateDescriptor(doc.subject, `${what} subject`);
  optString(doc.artifactType, what, 'artifactType');
  stringMap(doc.annotations, what, 'annotations');
  return doc as unknown as Manifest;
}

/** Parses an image index (OCI) or manifest list (Docker). */
export function parseIndex(bytes: Buffer | string, mediaType?: string): Index {
  const what = 'image index';
  const doc = parseJson(bytes, what);
  checkSchema(doc, what);
  checkMediaType(doc, mediaType, what, isIndexType);
  if (!Array.isArray(doc.manifests)) throw fail(what, 'manifests must be a list');
  doc.manifests.forEach((m, i) => validateDescriptor(m, `${what} entry ${i}`));
  if (doc.subject !== undefined) validateDescriptor(doc.subject, `${what} subject`);
  optString(doc.artifactType, what, 'artifactType');
  stringMap(doc.annotations, what, 'annotations');
  return doc as unknown as Index;
}

export type ParsedManifest = { kind: 'manifest'; mediaType: string; manifest: Manifest } | { kind: 'index'; mediaType: string; index: Index };

/** Either kind, told apart by the given media type, else the document's own, else its shape. */
export function parseManifestOrIndex(bytes: Buffer | string, mediaType?: string): ParsedManifest {
  const mt = mediaType ?? detectMediaType(bytes);
  if (isIndexType(mt)) return { kind: 'index', mediaType: mt, index: parseIndex(bytes, mt) };
  if (isManifestType(mt)) return { kind: 'manifest', mediaType: mt, manifest: parseManifest(bytes, mt) };
  throw fail('manifest', `unsupported manifest media type ${mt}`);
}

function stringList(v: unknown, what: string, field: string, nullable = false): void {
  if (v === undefined || (nullable && v === null)) return;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw fail(what, `${field} must be a list of strings`);
}

/** Parses an image config (OCI / Docker; same shape). */
export function parseImageConfig(bytes: Buffer | string): ImageConfig {
  const what = 'image config';
  const doc = parseJson(bytes, what);
  if (typeof doc.architecture !== 'string' || doc.architecture === '') throw fail(what, 'architecture is required');
  if (typeof doc.os !== 'string' || doc.os === '') throw fail(what, 'os is required');
  optString(doc.created, what, 'created');
  if (typeof doc.created === 'string' && Number.isNaN(Date.parse(doc.created))) throw fail(what, `created is not an RFC 3339 time: ${doc.created}`);
  const rootfs = doc.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) throw fail(what, 'rootfs must be {"type":"layers","diff_ids":[...]}');
  for (const d of rootfs.diff_ids) {
    if (typeof d !== 'string') throw fail(what, 'diff_ids must be digests');
    try {
      parseDigest(d);
    } catch (e) {
      throw fail(what, `diff_id: ${(e as Error).message}`);
    }
  }
  if (doc.config !== undefined && doc.config !== null) {
    const c = doc.config;
    if (!isObject(c)) throw fail(what, 'config must be an object');
    stringList(c.Env, what, 'config.Env', true);
    stringList(c.Cmd, what, 'config.Cmd', true);
    stringList(c.Entrypoint, what, 'config.Entrypoint', true);
    stringList(c.Shell, what, 'config.Shell', true);
    stringList(c.OnBuild, what, 'config.OnBuild', true);
    optString(c.User, what, 'config.User');
    optString(c.WorkingDir, what, 'config.WorkingDir');
    optString(c.StopSignal, what, 'config.StopSignal');
    if (c.Labels !== null) stringMap(c.Labels, what, 'config.Labels');
    for (const f of ['ExposedPorts', 'Volumes'] as const) {
      if (c[f] !== undefined && c[f] !== null && !isObject(c[f])) throw fail(what, `config.${f} must be an object`);
    }
  }
  if (doc.history !== undefined && !(Array.isArray(doc.history) && doc.history.every(isObject))) throw fail(what, 'history must be a list of objects');
  return doc as unknown as ImageConfig;
}

/** A manifest and its config must describe the same layers. */
export function checkManifestConfig(manifest: Manifest, config: ImageConfig): void {
  const n = manifest.layers.length;
  const m = config.rootfs.diff_ids.length;
  if (n !== m) throw fail('image', `manifest has ${n} layers but its config lists ${m} diff_ids`);
}

/** The descriptor of some bytes: what to put in a manifest after writing them. */
export function descriptorOf(bytes: Buffer | string, mediaType: string, extra: Partial<Omit<Descriptor, 'digest' | 'size' | 'mediaType'>> = {}): Descriptor {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  return { mediaType, digest: sha256(buf), size: buf.length, ...extra };
}
