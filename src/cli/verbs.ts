// Verb name -> lazily loaded command module, so start-up loads only one verb.
// Each module default-exports a Command. Two-word keys ("image ls") are tried
// before one-word keys. Add new verbs here, one line each.
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

export const verbs: Record<string, Loader> = {
  version: () => import('./commands/version.js'),
  login: () => import('./commands/login.js'),
  logout: () => import('./commands/logout.js'),
  'registry serve': () => import('./commands/registry-serve.js'),
  'registry gc': () => import('./commands/registry-gc.js'),
  images: () => import('./commands/images.js'),
  'image ls': () => import('./commands/images.js'),
  'image list': () => import('./commands/images.js'),
  import: () => import('./commands/import.js'),
  'image import': () => import('./commands/import.js'),
  tag: () => import('./commands/tag.js'),
  'image tag': () => import('./commands/tag.js'),
  rmi: () => import('./commands/rmi.js'),
  'image rm': () => import('./commands/rmi.js'),
  'image remove': () => import('./commands/rmi.js'),
};

/** Verbs listed in `tug --help`, with a one-line summary. */
export const summaries: Array<[string, string]> = [
  ['version', 'Show the tug version information'],
  ['login', 'Log in to a registry'],
  ['logout', 'Log out from a registry'],
  ['registry serve', 'Run an OCI distribution registry'],
  ['registry gc', 'Remove blobs no repository or image uses'],
  ['images', 'List images'],
  ['import', 'Import the contents from a tarball to create a filesystem image'],
  ['tag', 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE'],
  ['rmi', 'Remove one or more images'],
];
