// `tug save`: images out as one tar stream, never whole in memory.
//   docker-archive: manifest.json + repositories + blobs/sha256/<hex> (config,
//     and each layer as an uncompressed tar named by its diffID), the layout
//     docker ≥25 writes and docker/podman load read.
//   oci-archive: an OCI image layout (oci-layout, index.json, blobs as stored)
//     with one index entry per name, annotated as containerd and skopeo expect.
import type { Readable } from 'node:stream';
import { decompressStream } from '../archive/index.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from '../archive/tar-header.js';
import type { Descriptor, Digest, Index } from '../oci/types.js';
import { MediaType } from '../oci/mediatypes.js';
import { TugError } from '../util/errors.js';
import { familiarName, splitName, familiarRepository } from './refs.js';
import type { ImageService } from './service.js';
import type { ImageRecord } from './types.js';

export type SaveFormat = 'docker' | 'oci';

export interface SaveItem {
  image: ImageRecord;
  /** Normalised repo:tag names to record for it (none when saved by id). */
  names: string[];
}

/** What `tug save NAME...` means: a name saves that tag, a bare repository all its tags, an id the image untagged. */
export function selectForSave(svc: ImageService, args: string[]): SaveItem[] {
  const items = new Map<Digest, SaveItem>();
  const add = (image: ImageRecord, name?: string): void => {
    const it = items.get(image.id) ?? { image, names: [] };
    if (name && !it.names.includes(name)) it.names.push(name);
    items.set(image.id, it);
  };
  for (const arg of args) {
    const { image, byId, ref } = svc.lookup(arg);
    if (byId || !ref) add(image);
    else if (ref.digest) add(image);
    else if (!/:[^/]*$/.test(arg)) {
      // a bare repository: every tag of it (docker's rule)
      const all = svc.list().flatMap((img) => img.names.filter((n) => splitName(n).repository === ref.repository).map((n) => [img, n] as const));
      for (const [img, n] of all) add(img, n);
    } else add(image, `${ref.repository}:${ref.tag}`);
  }
  return [...items.values()];
}

function fileHeader(name: string, size: number, mtime: number): TarHeader {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

function dirHeader(name: string, mtime: number): TarHeader {
  return { name, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
}

async function* body(name: string, size: number, src: Readable): AsyncGenerator<Buffer> {
  let n = 0;
  for await (const chunk of src) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > size) break;
    yield b;
  }
  if (n !== size) {
    src.destroy();
    throw new TugError('DIGEST_MISMATCH', `${name}: expected ${size} bytes, the store gave ${n}`, { hint: 'the content store is damaged; remove and re-add the image' });
  }
  const pad = padding(size);
  if (pad.length) yield pad;
}

function bufferEntry(name: string, data: Buffer, mtime: number): Buffer[] {
  const pad = padding(data.length);
  return [encodeHeader(fileHeader(name, data.length, mtime)), data, ...(pad.length ? [pad] : [])];
}

export async function* saveArchive(svc: ImageService, items: SaveItem[], format: SaveFormat): AsyncGenerator<Buffer> {
  if (!items.length) throw new TugError('INVALID_ARGUMENT', 'nothing to save', { hint: 'name at least one image' });
  const mtime = Math.floor(Date.now() / 1000);
  const written = new Set<string>();
  yield encodeHeader(dirHeader('blobs', mtime));
  yield encodeHeader(dirHeader('blobs/sha256', mtime));
  const blobName = (d: Digest): string => `blobs/sha256/${d.slice(7)}`;

  if (format === 'oci') {
    yield* bufferEntry('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'), mtime);
    const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    for (const { image, names } of items) {
      const blobs: Descriptor[] = [
        { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: (await svc.content.info(image.manifestDigest)).size },
        { mediaType: MediaType.OciConfig, digest: image.id, size: (await svc.content.info(image.id)).size },
        ...image.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      ];
      for (const d of blobs) {
        if (written.has(d.digest)) continue;
        written.add(d.digest);
        yield encodeHeader(fileHeader(blobName(d.digest), d.size, mtime));
        yield* body(blobName(d.digest), d.size, await svc.content.open(d.digest));
      }
      const cfg = await svc.config(image);
      const desc = (annotations?: Record<string, string>): Descriptor => ({
        mediaType: image.manifestMediaType,
        digest: image.manifestDigest,
        size: blobs[0].size,
        ...(annotations ? { annotations } : {}),
        platform: { architecture: cfg.architecture, os: cfg.os, ...(cfg.variant ? { variant: cfg.variant } : {}) },
      });
      if (!names.length) index.manifests.push(desc());
      for (const n of names) {
        index.manifests.push(desc({ 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': splitName(n).tag }));
      }
    }
    yield* bufferEntry('index.json', Buffer.from(JSON.stringify(index)), mtime);
    yield END_OF_ARCHIVE;
    return;
  }

  const manifest: Array<{ Config: string; RepoTags: string[] | null; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of items) {
    if (!written.has(image.id)) {
      written.add(image.id);
      yield* bufferEntry(blobName(image.id), await svc.content.readBytes(image.id), mtime);
    }
    for (const l of image.layers) {
      // docker-archive layers are plain tars named by diffID
      if (written.has(l.diffID)) continue;
      written.add(l.diffID);
      yield encodeHeader(fileHeader(blobName(l.diffID), l.diffSize, mtime));
      const raw = await svc.content.open(l.digest);
      yield* body(blobName(l.diffID), l.diffSize, l.digest === l.diffID ? raw : await decompressStream(raw));
    }
    const top = image.layers.length ? image.layers[image.layers.length - 1].diffID.slice(7) : '';
    for (const n of names) {
      const { repository, tag } = splitName(n);
      (repositories[familiarRepository(repository)] ??= {})[tag] = top;
    }
    manifest.push({ Config: blobName(image.id), RepoTags: names.length ? names.map(familiarName) : null, Layers: image.layers.map((l) => blobName(l.diffID)) });
  }
  yield* bufferEntry('manifest.json', Buffer.from(JSON.stringify(manifest)), mtime);
  if (Object.keys(repositories).length) yield* bufferEntry('repositories', Buffer.from(JSON.stringify(repositories)), mtime);
  yield END_OF_ARCHIVE;
}
