import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'manifest inspect',
    usage: 'tug manifest inspect [OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Display an image manifest, or manifest list, from a registry',
    flags: [
      { name: 'verbose', short: 'v', type: 'bool', description: 'Output additional info including layers and platform' },
      { name: 'insecure', type: 'bool', description: 'Allow communication with an insecure registry (plain HTTP)' },
      { name: 'insecure-registry', type: 'list', description: 'Use plain HTTP for this registry (host[:port])' },
    ],
    minArgs: 1,
    maxArgs: 2,
  },
  async run(ctx, args) {
    const { inspectManifest, formatManifestJson } = await import('../../distribution/inspect.js');
    const { parseRemote } = await import('../../distribution/remote-ref.js');
    // docker's form is `manifest inspect [MANIFEST_LIST] MANIFEST`; the last name is the one shown
    const name = args.positionals[args.positionals.length - 1];
    const insecure = flag.list(args, 'insecure-registry');
    if (flag.bool(args, 'insecure')) insecure.push(parseRemote(name).host);
    const verbose = flag.bool(args, 'verbose');
    const r = await inspectManifest(name, { insecure, root: ctx.root, env: ctx.env, verbose });
    if (verbose && r.verbose) ctx.stdout.write(formatManifestJson(r.verbose.length === 1 ? r.verbose[0] : r.verbose));
    else ctx.stdout.write(formatManifestJson(JSON.parse(r.manifest.bytes.toString('utf8'))));
    return 0;
  },
};
export default command;
