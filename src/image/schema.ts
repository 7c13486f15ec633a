// The image module's tables. Image id = config digest (docker's rule). Names
// and repo digests are normalised references ("docker.io/library/busybox:latest").
// Layers are recorded per image with everything the runtime and `save` need
// without reading blobs (diffID, blob digest, chainID, both sizes).
import type { MigrationSet } from '../meta/db.js';

export const imageMigrations: MigrationSet = {
  module: 'image',
  steps: [
    `CREATE TABLE images (
       id TEXT PRIMARY KEY,                 -- config digest
       manifest_digest TEXT NOT NULL,
       manifest_media_type TEXT NOT NULL,
       created TEXT NOT NULL,               -- config.created (RFC 3339), '' when absent
       size INTEGER NOT NULL,               -- sum of uncompressed layer sizes
       parent TEXT,                         -- image this one was built or committed on
       added_at TEXT NOT NULL,              -- when this store first recorded it
       last_tag_time TEXT)`,
    `CREATE INDEX images_parent ON images(parent)`,
    `CREATE INDEX images_manifest ON images(manifest_digest)`,
    `CREATE TABLE image_names (
       name TEXT PRIMARY KEY,               -- normalised repository:tag
       repository TEXT NOT NULL,            -- normalised repository
       tag TEXT NOT NULL,
       image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
       tagged_at TEXT NOT NULL)`,
    `CREATE INDEX image_names_image ON image_names(image_id)`,
    `CREATE TABLE image_repo_digests (
       repository TEXT NOT NULL,
       digest TEXT NOT NULL,                -- a manifest digest this repository serves the image by
       image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
       PRIMARY KEY (repository, digest))`,
    `CREATE INDEX image_repo_digests_image ON image_repo_digests(image_id)`,
    `CREATE TABLE image_layers (
       image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
       idx INTEGER NOT NULL,
       diff_id TEXT NOT NULL,
       digest TEXT NOT NULL,                -- the blob in the content store
       media_type TEXT NOT NULL,
       chain_id TEXT NOT NULL,
       size INTEGER NOT NULL,               -- blob size
       diff_size INTEGER NOT NULL,          -- uncompressed tar size
       PRIMARY KEY (image_id, idx)) WITHOUT ROWID`,
    `CREATE INDEX image_layers_digest ON image_layers(digest)`,
    // Cache of what decompressing a blob gives, so each compressed blob is read once.
    `CREATE TABLE layer_diffs (
       digest TEXT PRIMARY KEY,
       diff_id TEXT NOT NULL,
       diff_size INTEGER NOT NULL) WITHOUT ROWID`,
  ],
};
