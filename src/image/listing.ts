// The rows `tug images` prints, as docker's CLI derives them from image
// summaries: one row per repository:tag (× digest with --digests), digest-only
// rows per repository, and <none>:<none> for dangling images.
import { createdSince, goTime, humanSize } from './human.js';
import { familiarRepository, splitName } from './refs.js';
import type { ImageRecord } from './types.js';

export interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  SharedSize: string;
  UniqueSize: string;
  VirtualSize: string;
}

export interface ListOptions {
  all?: boolean;
  digests?: boolean;
  noTrunc?: boolean;
  /** REPOSITORY[:TAG] positional filter (familiar or normalised). */
  reference?: { repository: string; tag?: string };
  dangling?: boolean;
}

export const IMAGE_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  ID: 'IMAGE ID',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
};

export function imageRows(images: ImageRecord[], withChildren: Set<string>, opts: ListOptions, now = Date.now()): ImageRow[] {
  const rows: ImageRow[] = [];
  const sorted = [...images].sort((a, b) => (b.created || '').localeCompare(a.created || '') || b.addedAt.localeCompare(a.addedAt));
  for (const img of sorted) {
    const dangling = img.names.length === 0 && img.repoDigests.length === 0;
    // Without -a, untagged images that are parents of others are intermediate build steps: hidden.
    if (!opts.all && dangling && withChildren.has(img.id)) continue;
    if (opts.dangling !== undefined && opts.dangling !== (img.names.length === 0)) continue;
    const base = {
      ID: opts.noTrunc ? img.id : img.id.slice(7, 19),
      CreatedSince: createdSince(img.created, now),
      CreatedAt: goTime(img.created),
      Size: humanSize(img.size),
      Containers: 'N/A',
      SharedSize: 'N/A',
      UniqueSize: 'N/A',
      VirtualSize: humanSize(img.size),
    };
    const out: Array<{ repo: string; tag: string; digest: string }> = [];
    if (dangling) out.push({ repo: '<none>', tag: '<none>', digest: '<none>' });
    else {
      const tags = new Map<string, string[]>();
      const digests = new Map<string, string[]>();
      for (const n of img.names) {
        const { repository, tag } = splitName(n);
        tags.set(repository, [...(tags.get(repository) ?? []), tag]);
      }
      for (const d of img.repoDigests) {
        const at = d.indexOf('@');
        digests.set(d.slice(0, at), [...(digests.get(d.slice(0, at)) ?? []), d.slice(at + 1)]);
      }
      for (const [repo, ts] of tags) {
        const ds = opts.digests ? digests.get(repo) ?? [] : [];
        digests.delete(repo);
        for (const tag of ts) {
          if (!ds.length) out.push({ repo, tag, digest: '<none>' });
          for (const d of ds) out.push({ repo, tag, digest: d });
        }
      }
      for (const [repo, ds] of digests) {
        if (opts.digests) for (const d of ds) out.push({ repo, tag: '<none>', digest: d });
        else out.push({ repo, tag: '<none>', digest: '<none>' });
      }
    }
    for (const o of out) {
      if (opts.reference) {
        if (o.repo !== opts.reference.repository) continue;
        if (opts.reference.tag !== undefined && o.tag !== opts.reference.tag) continue;
      }
      rows.push({ Repository: o.repo === '<none>' ? o.repo : familiarRepository(o.repo), Tag: o.tag, Digest: o.digest, ...base });
    }
  }
  return rows;
}
