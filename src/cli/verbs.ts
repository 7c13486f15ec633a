// Verb name -> lazily loaded command module, so start-up loads only one verb.
// Each module default-exports a Command. Two-word keys ("image ls") are tried
// before one-word keys. Add new verbs here, one line each.
import type { Command } from './command.js';

type Loader = () => Promise<{ default: Command }>;

export const verbs: Record<string, Loader> = {
  version: () => import('./commands/version.js'),
};

/** Verbs listed in `tug --help`, with a one-line summary. */
export const summaries: Array<[string, string]> = [
  ['version', 'Show the tug version information'],
];
