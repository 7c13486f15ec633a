// Where things live on disk. The store root is an OCI image layout
// (`oci-layout`, `index.json`, `blobs/sha256/<hex>`) plus tug's own
// `ingest/` directory for writes in progress, which OCI readers ignore.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseDigest, digestHex } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';

export class Layout {
  readonly blobsDir: string;
  readonly ingestDir: string;
  /** Where the garbage collector parks a blob while it re-checks it (same filesystem, so rename is atomic). */
  readonly trashDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    this.trashDir = join(this.ingestDir, '.gc');
  }

  /** Validates the digest first, so a crafted "digest" can never name a path outside blobs/. */
  blobPath(d: Digest): string {
    return join(this.blobsDir, digestHex(parseDigest(d)));
  }

  /** One directory per ingest ref; the ref itself may be any string, so the name is its hash. */
  ingestPath(ref: string): string {
    return join(this.ingestDir, createHash('sha256').update(ref).digest('hex'));
  }
}

export const OCI_LAYOUT_FILE = 'oci-layout';
export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}';
export const OCI_INDEX_FILE = 'index.json';
export const EMPTY_INDEX = '{"schemaVersion":2,"manifests":[]}';
