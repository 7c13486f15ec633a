// `image inspect` and `history`: docker's shapes, from the record and config.
import type { ContainerConfig, HistoryEntry, ImageConfig } from '../oci/types.js';
import { createdSince, goTime, humanSize } from './human.js';
import { familiarName, familiarString, parseRef } from './refs.js';
import type { ImageService } from './service.js';
import type { ImageRecord } from './types.js';

/** The `Config` object as docker's API returns it (legacy container-config fields included, for old scripts). */
function dockerConfig(c: ContainerConfig | undefined): Record<string, unknown> {
  const cfg = c ?? {};
  return {
    Hostname: '',
    Domainname: '',
    User: cfg.User ?? '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(cfg.ExposedPorts ? { ExposedPorts: cfg.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: cfg.Env ?? null,
    Cmd: cfg.Cmd ?? null,
    ...(cfg.Healthcheck ? { Healthcheck: cfg.Healthcheck } : {}),
    ...(cfg.ArgsEscaped ? { ArgsEscaped: true } : {}),
    Image: '',
    Volumes: cfg.Volumes ?? null,
    WorkingDir: cfg.WorkingDir ?? '',
    Entrypoint: cfg.Entrypoint ?? null,
    OnBuild: cfg.OnBuild ?? null,
    Labels: cfg.Labels ?? null,
    ...(cfg.StopSignal ? { StopSignal: cfg.StopSignal } : {}),
    ...(cfg.Shell ? { Shell: cfg.Shell } : {}),
  };
}

export interface DockerImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: Record<string, unknown>;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Data: Record<string, string> | null; Name: string };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
  Descriptor: { mediaType: string; digest: string; size: number };
}

export async function inspectImage(svc: ImageService, img: ImageRecord): Promise<DockerImageInspect> {
  const cfg = (await svc.config(img)) as ImageConfig & { comment?: string; docker_version?: string };
  const manifestSize = (await svc.content.info(img.manifestDigest)).size;
  return {
    Id: img.id,
    RepoTags: img.names.map(familiarName),
    RepoDigests: img.repoDigests.map((d) => familiarString(parseRef(d))),
    Parent: img.parent ?? '',
    // docker's top-level comment, else (our configs) the last history entry's, which is where import/commit put it
    Comment: cfg.comment ?? cfg.history?.[cfg.history.length - 1]?.comment ?? '',
    Created: cfg.created ?? '',
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: dockerConfig(cfg.config),
    Architecture: cfg.architecture,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os,
    Size: img.size,
    GraphDriver: { Data: null, Name: 'overlayfs' },
    RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
    Metadata: { LastTagTime: img.lastTagTime ?? '0001-01-01T00:00:00Z' },
    Descriptor: { mediaType: img.manifestMediaType, digest: img.manifestDigest, size: manifestSize },
  };
}

export interface HistoryRow {
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  CreatedBy: 'CREATED BY',
  Size: 'SIZE',
  Comment: 'COMMENT',
};

/** docker's Ellipsis: at most n characters, the last one "…" when cut. */
function ellipsis(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

export async function imageHistory(svc: ImageService, img: ImageRecord, opts: { noTrunc?: boolean; human?: boolean } = {}): Promise<HistoryRow[]> {
  const cfg = await svc.config(img);
  const history: HistoryEntry[] = cfg.history?.length ? cfg.history : img.layers.map((): HistoryEntry => ({}));
  // Which history entry each local ancestor ends at, so their ids show instead of <missing>.
  const ids = new Map<number, string>();
  ids.set(history.length - 1, img.id);
  let parent = img.parent;
  while (parent) {
    const p = svc.get(parent);
    if (!p) break;
    const pc = await svc.config(p);
    const n = pc.history?.length ?? p.layers.length;
    if (n > 0 && !ids.has(n - 1)) ids.set(n - 1, p.id);
    parent = p.parent;
  }
  let layer = 0;
  const rows: HistoryRow[] = history.map((h, i) => {
    const size = h.empty_layer ? 0 : img.layers[layer++]?.diffSize ?? 0;
    const id = ids.get(i);
    const createdBy = h.created_by ?? '';
    return {
      ID: id ? (opts.noTrunc ? id : id.slice(7, 19)) : '<missing>',
      CreatedSince: opts.human === false ? h.created ?? '' : createdSince(h.created ?? ''),
      CreatedAt: h.created ?? '',
      CreatedBy: opts.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: opts.human === false ? String(size) : humanSize(size),
      Comment: h.comment ?? '',
    };
  });
  return rows.reverse();
}

export { goTime };
