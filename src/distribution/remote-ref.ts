// A reference split the way the protocol needs it: registry host, repository
// path inside that registry, and a tag or digest.
import { familiarRepository, parseRef, type NamedRef } from '../image/refs.js';
import type { Digest } from '../oci/types.js';

export interface RemoteRef {
  /** Registry host as in the reference ("docker.io", "127.0.0.1:5000"). */
  host: string;
  /** Repository path inside the registry ("library/busybox"). */
  path: string;
  /** Normalised full repository ("docker.io/library/busybox"). */
  repository: string;
  tag?: string;
  digest?: Digest;
}

export function toRemote(r: NamedRef): RemoteRef {
  const slash = r.repository.indexOf('/');
  return { host: r.repository.slice(0, slash), path: r.repository.slice(slash + 1), repository: r.repository, tag: r.tag, digest: r.digest };
}

/** Parses NAME[:TAG|@DIGEST]; no tag and no digest means :latest (docker's default). */
export function parseRemote(input: string, defaultTag = true): RemoteRef {
  const r = parseRef(input);
  const tag = r.tag === undefined && r.digest === undefined && defaultTag ? 'latest' : r.tag;
  return toRemote({ ...r, tag });
}

/** What the protocol asks for: the digest when given, else the tag. */
export function remoteReference(r: RemoteRef): string {
  return r.digest ?? r.tag ?? 'latest';
}

/** docker's familiar form: "busybox:latest", "127.0.0.1:5000/x@sha256:…". */
export function familiar(r: RemoteRef): string {
  const repo = familiarRepository(r.repository);
  return r.digest ? `${repo}@${r.digest}` : `${repo}:${r.tag ?? 'latest'}`;
}

/** The full normalised form: "docker.io/library/busybox:latest". */
export function canonical(r: RemoteRef): string {
  return r.digest ? `${r.repository}@${r.digest}` : `${r.repository}:${r.tag ?? 'latest'}`;
}
