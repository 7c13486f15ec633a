// Repository names, tags and references as the OCI distribution spec v1.1
// defines them. Everything that reaches the store or the database has passed
// through here first, so a name can never walk out of its namespace.
import { RegistryError } from './errors.js';

// v1.1: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Names, including slashes, must be under 256 characters (the spec's limit). */
export const MAX_NAME_LENGTH = 255;

export function isValidName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME.test(name);
}

export function checkName(name: string): string {
  if (name.length > MAX_NAME_LENGTH) throw new RegistryError('NAME_INVALID', `repository name is longer than ${MAX_NAME_LENGTH} characters`, { length: name.length });
  if (!NAME.test(name)) throw new RegistryError('NAME_INVALID', 'invalid repository name', { name: name.slice(0, 300) });
  return name;
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function isDigestLike(s: string): boolean {
  return DIGEST.test(s);
}

/** A digest the store can hold (sha256); other well-formed algorithms are UNSUPPORTED, the rest DIGEST_INVALID. */
export function checkDigest(s: string | null | undefined): string {
  if (s && SHA256.test(s)) return s;
  if (s && DIGEST.test(s) && !s.startsWith('sha256:')) throw new RegistryError('UNSUPPORTED', `digest algorithm not supported: ${s.split(':')[0]}`);
  throw new RegistryError('DIGEST_INVALID', 'invalid digest', { digest: String(s ?? '').slice(0, 200) });
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** `<reference>` of /manifests/: a tag or a digest, nothing else. */
export function parseReference(ref: string): Reference {
  if (ref.includes(':')) return { kind: 'digest', digest: checkDigest(ref) };
  if (!TAG.test(ref)) throw new RegistryError('MANIFEST_INVALID', 'invalid tag', { tag: ref.slice(0, 200) });
  return { kind: 'tag', tag: ref };
}
