// `tug import`: a rootfs tarball (plain or gzip) becomes a one-layer image,
// as docker import: the tar is checked entry by entry while it is stored,
// --change edits the config, the history says where it came from.
import type { Readable } from 'node:stream';
import type { ContainerConfig } from '../oci/types.js';
import { applyChanges } from './changes.js';
import type { ImageService } from './service.js';
import type { ImageRecord } from './types.js';

export interface ImportOptions {
  /** REPOSITORY[:TAG] to name the image. */
  ref?: string;
  changes?: string[];
  message?: string;
  /** What the user named as source ("-" for stdin), for error messages. */
  source: string;
  platform?: { architecture: string; os: string; variant?: string };
}

export async function importTarball(svc: ImageService, src: Readable, opts: ImportOptions): Promise<ImageRecord> {
  // Validate everything the user typed before reading a byte.
  const config: ContainerConfig = applyChanges({}, opts.changes ?? []);
  if (opts.ref) svc.checkTagName(opts.ref);
  // docker's CLI streams a local file like stdin, so its history says "Imported from -" either way
  const comment = opts.message || 'Imported from -';
  return svc.createImage({
    layers: [{ tar: src, check: true, what: opts.source === '-' ? 'the input' : opts.source }],
    config,
    comment,
    history: undefined,
    names: opts.ref ? [opts.ref] : [],
    parent: null,
    platform: opts.platform,
  });
}
