// --cache-from / --cache-to specs, as buildx writes them:
//   --cache-from REF | type=registry,ref=REF | type=local,src=DIR
//   --cache-to   type=inline | type=registry,ref=REF[,mode=min|max] | type=local,dest=DIR[,mode=min|max]
// tug's own option, on registry and local exports: cache-mounts=true also
// exports the contents of every RUN --mount=type=cache directory the build used.
import { resolve } from 'node:path';
import { TugError } from '../../util/errors.js';

/** preferLocal: the bare `--cache-from IMAGE` form, which uses an image of that name in the local store when there is one. */
export type CacheSource = { type: 'registry'; ref: string; preferLocal?: boolean } | { type: 'local'; dir: string; tag: string };

export type CacheDestination =
  | { type: 'inline' }
  | { type: 'registry'; ref: string; mode: 'min' | 'max'; cacheMounts: boolean; ignoreError: boolean }
  | { type: 'local'; dir: string; tag: string; mode: 'min' | 'max'; cacheMounts: boolean; ignoreError: boolean };

/** buildx options tug accepts and has nothing to do for (tug always writes OCI media types, gzip). */
const ACCEPTED = new Set(['oci-mediatypes', 'image-manifest', 'compression', 'compression-level', 'force-compression']);

function csv(spec: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of spec.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    m.set((eq < 0 ? part : part.slice(0, eq)).trim(), eq < 0 ? '' : part.slice(eq + 1).trim());
  }
  return m;
}

function boolOpt(kv: Map<string, string>, name: string, flagName: string): boolean {
  const v = kv.get(name);
  if (v === undefined) return false;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  throw new TugError('INVALID_ARGUMENT', `${flagName}: ${name} must be true or false, not "${v}"`);
}

function unknownKeys(kv: Map<string, string>, known: string[], flagName: string, spec: string): void {
  for (const k of kv.keys()) {
    if (!known.includes(k) && !ACCEPTED.has(k)) throw new TugError('INVALID_ARGUMENT', `${flagName} "${spec}": unknown option "${k}"`, { hint: `options here: ${known.join(', ')}` });
  }
}

function typeOf(kv: Map<string, string>, spec: string, flagName: string): string {
  const type = kv.get('type') ?? 'registry';
  if (['gha', 's3', 'azblob'].includes(type)) throw new TugError('UNSUPPORTED', `${flagName} type=${type} is not supported yet`, { hint: 'use type=registry, type=local or type=inline' });
  if (!['registry', 'local', 'inline'].includes(type)) throw new TugError('INVALID_ARGUMENT', `${flagName} "${spec}": unknown cache type "${type}"`, { hint: 'use type=registry, type=local or type=inline' });
  return type;
}

export function parseCacheFrom(spec: string): CacheSource {
  const flagName = '--cache-from';
  // a bare reference, as `docker build --cache-from myimage`
  if (!spec.includes('=')) return { type: 'registry', ref: spec, preferLocal: true };
  const kv = csv(spec);
  const type = typeOf(kv, spec, flagName);
  if (type === 'local') {
    unknownKeys(kv, ['type', 'src', 'tag', 'digest'], flagName, spec);
    const src = kv.get('src');
    if (!src) throw new TugError('INVALID_ARGUMENT', `${flagName} type=local needs src=DIR`, { hint: '--cache-from type=local,src=./cache' });
    return { type: 'local', dir: resolve(src), tag: kv.get('tag') || 'latest' };
  }
  unknownKeys(kv, ['type', 'ref'], flagName, spec);
  const ref = kv.get('ref');
  if (!ref) throw new TugError('INVALID_ARGUMENT', `${flagName} type=${type} needs ref=IMAGE`, { hint: '--cache-from type=registry,ref=registry.example.com/app:cache' });
  return { type: 'registry', ref };
}

export function parseCacheTo(spec: string): CacheDestination {
  const flagName = '--cache-to';
  const kv = csv(spec.includes('=') ? spec : `type=registry,ref=${spec}`);
  const type = typeOf(kv, spec, flagName);
  if (type === 'inline') {
    unknownKeys(kv, ['type', 'mode'], flagName, spec);
    if (kv.get('mode') === 'max') throw new TugError('INVALID_ARGUMENT', `${flagName} type=inline supports mode=min only`, { hint: 'use type=registry,ref=…,mode=max to export every stage' });
    return { type: 'inline' };
  }
  const mode = kv.get('mode') ?? 'min';
  if (mode !== 'min' && mode !== 'max') throw new TugError('INVALID_ARGUMENT', `${flagName}: mode must be min or max, not "${mode}"`);
  const cacheMounts = boolOpt(kv, 'cache-mounts', flagName);
  const ignoreError = boolOpt(kv, 'ignore-error', flagName);
  if (type === 'local') {
    unknownKeys(kv, ['type', 'dest', 'mode', 'tag', 'cache-mounts', 'ignore-error'], flagName, spec);
    const dest = kv.get('dest');
    if (!dest) throw new TugError('INVALID_ARGUMENT', `${flagName} type=local needs dest=DIR`, { hint: '--cache-to type=local,dest=./cache' });
    return { type: 'local', dir: resolve(dest), tag: kv.get('tag') || 'latest', mode, cacheMounts, ignoreError };
  }
  unknownKeys(kv, ['type', 'ref', 'mode', 'cache-mounts', 'ignore-error'], flagName, spec);
  const ref = kv.get('ref');
  if (!ref) throw new TugError('INVALID_ARGUMENT', `${flagName} type=registry needs ref=IMAGE`, { hint: '--cache-to type=registry,ref=registry.example.com/app:cache,mode=max' });
  return { type: 'registry', ref, mode, cacheMounts, ignoreError };
}
