// Image references with docker's grammar (distribution/reference) and its
// normalisation: `busybox` → `docker.io/library/busybox:latest`.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [domain "/"] path-component ["/" path-component]*
//   domain     := host [":" port]      host := domain-name | "[" ipv6 "]"
//   path-component := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
//   tag        := [\w][\w.-]{0,127}
//
// The first component is a domain only if it contains "." or ":" or is
// "localhost" or has an uppercase letter; otherwise the name lives on Docker
// Hub, and a one-component Hub name gets the "library/" namespace.
import { TugError } from '../util/errors.js';
import { parseDigest } from './digest.js';
import type { Digest } from './types.js';

export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
export const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const HEX64_RE = /^[a-f0-9]{64}$/;

export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  readonly domain: string;
  /** Repository path on that registry, e.g. "library/busybox". */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
  /** domain/path, e.g. "docker.io/library/busybox". */
  readonly name: string;
  /** The name as docker displays it: "busybox", "user/app", "localhost:5000/a/b". */
  readonly familiar: string;
  /** Canonical form: name[:tag][@digest]. */
  toString(): string;
}

export interface ParseOptions {
  /** Add ":latest" when there is neither tag nor digest (default true). */
  defaultTag?: boolean;
}

function bad(input: string, detail: string, hint = 'a reference looks like name[:tag][@digest], e.g. busybox:latest or localhost:5000/team/app:1.0'): TugError {
  return new TugError('INVALID_ARGUMENT', `invalid reference format: ${detail}${detail.includes(JSON.stringify(input)) ? '' : ` (in "${input}")`}`, { hint });
}

/** Parses and normalises a reference the way `docker pull/tag/run` do. */
export function parseReference(input: string, opts: ParseOptions = {}): Reference {
  if (input === '') throw bad(input, 'repository name must have at least one component');
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    try {
      digest = parseDigest(d);
    } catch (e) {
      throw bad(input, `invalid digest "${d}"`, e instanceof TugError && e.hint ? e.hint : undefined);
    }
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length > 128) throw bad(input, `tag "${tag.slice(0, 20)}…" is ${tag.length} characters long; tags are at most 128`, 'shorten the tag to 128 characters or fewer');
    if (!TAG_RE.test(tag)) {
      throw bad(input, `invalid tag "${tag}"`, 'a tag is up to 128 letters, digits, "_", "." and "-", and does not start with "." or "-"');
    }
  }
  if (rest === '') throw bad(input, 'repository name must have at least one component');
  if (HEX64_RE.test(rest)) {
    throw bad(input, `invalid repository name (${rest}), cannot specify 64-byte hexadecimal strings`, 'to refer to an image by ID, use the ID without a tag');
  }
  const { domain, path } = splitDomain(input, rest);
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw bad(input, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  if (tag === undefined && digest === undefined && opts.defaultTag !== false) tag = DEFAULT_TAG;
  return makeReference(domain, path, tag, digest);
}

function splitDomain(input: string, name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  let domain: string;
  let path: string;
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = name;
  } else {
    domain = first;
    path = name.slice(slash + 1);
    if (!DOMAIN_RE.test(domain)) throw bad(input, `invalid registry host "${domain}"`, 'a registry looks like host, host:port or [ipv6]:port');
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  for (const component of path.split('/')) {
    if (PATH_COMPONENT_RE.test(component)) continue;
    if (PATH_COMPONENT_RE.test(component.toLowerCase())) {
      throw new TugError('INVALID_ARGUMENT', `invalid reference format: repository name must be lowercase (in "${input}")`, {
        hint: `use "${input.replace(path, path.toLowerCase())}"`,
      });
    }
    throw bad(
      input,
      component === '' ? 'repository name has an empty path component' : `invalid repository name component "${component}"`,
      'repository names use lowercase letters, digits and single separators (".", "_", "__", "-") between them',
    );
  }
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;
  return { domain, path };
}

/** Builds a reference from parts (already validated or produced by parseReference). */
export function makeReference(domain: string, path: string, tag?: string, digest?: Digest): Reference {
  const name = `${domain}/${path}`;
  const familiar = familiarOf(domain, path);
  const canonical = name + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return Object.freeze({ domain, path, tag, digest, name, familiar, toString: () => canonical });
}

function familiarOf(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return `${domain}/${path}`;
  if (path.startsWith(OFFICIAL_REPO_PREFIX) && !path.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return path;
}

/** Name as docker shows it: "busybox", "user/app", "localhost:5000/a/b" (no tag). */
export function familiarName(ref: Reference): string {
  return ref.familiar;
}

/** Name plus tag/digest as docker shows it: "busybox:latest", "user/app@sha256:…". */
export function familiarString(ref: Reference): string {
  return ref.familiar + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The same repository with another tag (and no digest); validates the tag. */
export function withTag(ref: Reference, tag: string): Reference {
  if (!TAG_RE.test(tag)) throw bad(tag, `invalid tag "${tag}"`, 'a tag is up to 128 letters, digits, "_", "." and "-", and does not start with "." or "-"');
  return makeReference(ref.domain, ref.path, tag);
}

/** The same repository pinned to a digest (and no tag). */
export function withDigest(ref: Reference, digest: Digest): Reference {
  return makeReference(ref.domain, ref.path, undefined, parseDigest(digest));
}

/** A repository path as the distribution API names it (no domain): "library/busybox", "team/app". */
export function isValidRepositoryPath(path: string): boolean {
  return path.length > 0 && path.length <= NAME_TOTAL_LENGTH_MAX && path.split('/').every((c) => PATH_COMPONENT_RE.test(c));
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
