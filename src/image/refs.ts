// Image names as the image module stores and prints them: normalised
// "docker.io/library/busybox:latest" in the database, docker's familiar
// "busybox:latest" on screen. Parsing itself is src/oci/reference.ts.
import type { Digest } from '../oci/types.js';
import { makeReference, parseReference } from '../oci/reference.js';

export interface NamedRef {
  /** Normalised repository, e.g. docker.io/library/busybox. */
  repository: string;
  tag?: string;
  digest?: Digest;
}

/** Parses and normalises (no default tag). Errors are src/oci/reference.ts's "invalid reference format" TugErrors. */
export function parseRef(input: string): NamedRef {
  const r = parseReference(input, { defaultTag: false });
  return { repository: r.name, tag: r.tag, digest: r.digest };
}

/** A reference with docker's default tag: no tag and no digest means :latest. */
export function parseRefDefaultTag(input: string): NamedRef {
  const r = parseRef(input);
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: 'latest' } : r;
}

/** "docker.io/library/busybox" → "busybox", "docker.io/me/x" → "me/x". */
export function familiarRepository(repo: string): string {
  const slash = repo.indexOf('/');
  return makeReference(repo.slice(0, slash), repo.slice(slash + 1)).familiar;
}

export function refString(r: NamedRef): string {
  return `${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function familiarString(r: NamedRef): string {
  return `${familiarRepository(r.repository)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** Splits a stored normalised "repo:tag" name. */
export function splitName(name: string): { repository: string; tag: string } {
  const i = name.lastIndexOf(':');
  return { repository: name.slice(0, i), tag: name.slice(i + 1) };
}

export function familiarName(name: string): string {
  const { repository, tag } = splitName(name);
  return `${familiarRepository(repository)}:${tag}`;
}
