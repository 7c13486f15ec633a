// The registry's tables in the shared metadata database (module "registry").
// Blobs themselves live in the shared content store; these rows say which
// repository may see which blob, what manifests and tags a repository holds,
// who refers to whom (subject), and which upload sessions are open.
import type { MigrationSet } from '../meta/db.js';

export const registryMigrations: MigrationSet = {
  module: 'registry',
  steps: [
    `CREATE TABLE registry_repos (
       name TEXT PRIMARY KEY,
       created_at INTEGER NOT NULL
     );
     -- a blob is visible in a repository only through a link (upload, mount, or a manifest naming it)
     CREATE TABLE registry_repo_blobs (
       repo TEXT NOT NULL,
       digest TEXT NOT NULL,
       size INTEGER NOT NULL,
       linked_at INTEGER NOT NULL,
       PRIMARY KEY (repo, digest)
     ) WITHOUT ROWID;
     CREATE INDEX registry_repo_blobs_digest ON registry_repo_blobs (digest);
     CREATE TABLE registry_manifests (
       repo TEXT NOT NULL,
       digest TEXT NOT NULL,
       media_type TEXT NOT NULL,
       size INTEGER NOT NULL,
       artifact_type TEXT,
       subject TEXT,
       created_at INTEGER NOT NULL,
       PRIMARY KEY (repo, digest)
     ) WITHOUT ROWID;
     CREATE INDEX registry_manifests_digest ON registry_manifests (digest);
     -- what each manifest references (config, layers, child manifests): GC roots and link cleanup read this
     CREATE TABLE registry_manifest_refs (
       repo TEXT NOT NULL,
       manifest TEXT NOT NULL,
       child TEXT NOT NULL,
       PRIMARY KEY (repo, manifest, child)
     ) WITHOUT ROWID;
     CREATE INDEX registry_manifest_refs_child ON registry_manifest_refs (repo, child);
     CREATE TABLE registry_tags (
       repo TEXT NOT NULL,
       tag TEXT NOT NULL,
       digest TEXT NOT NULL,
       updated_at INTEGER NOT NULL,
       PRIMARY KEY (repo, tag)
     ) WITHOUT ROWID;
     CREATE INDEX registry_tags_digest ON registry_tags (repo, digest);
     CREATE TABLE registry_referrers (
       repo TEXT NOT NULL,
       subject TEXT NOT NULL,
       digest TEXT NOT NULL,
       media_type TEXT NOT NULL,
       artifact_type TEXT,
       size INTEGER NOT NULL,
       annotations TEXT,
       PRIMARY KEY (repo, subject, digest)
     ) WITHOUT ROWID;
     -- an upload session is a resumable content-store ingest (ingest_ref) owned by one repository
     CREATE TABLE registry_uploads (
       id TEXT PRIMARY KEY,
       repo TEXT NOT NULL,
       ingest_ref TEXT NOT NULL,
       created_at INTEGER NOT NULL,
       updated_at INTEGER NOT NULL
     );`,
  ],
};
