import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'push',
    usage: 'tug push [OPTIONS] NAME[:TAG]',
    description: 'Upload an image to a registry',
    flags: [
      { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
      { name: 'insecure-registry', type: 'list', description: 'Use plain HTTP for this registry (host[:port])' },
      { name: 'all-tags', short: 'a', type: 'bool', description: 'Push all tags of an image to the repository' },
      { name: 'disable-content-trust', type: 'bool', description: 'Skip image signing (accepted; tug has no content trust)' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { pushImage, pushAllTags } = await import('../../distribution/push.js');
    const { progressRenderer, noProgress } = await import('../../distribution/progress.js');
    const quiet = flag.bool(args, 'quiet');
    const r = quiet ? { sink: noProgress, done: () => {} } : progressRenderer(ctx.stdout);
    const opts = { progress: r.sink, insecure: flag.list(args, 'insecure-registry'), env: ctx.env };
    const results = flag.bool(args, 'all-tags') ? await pushAllTags(ctx.root, args.positionals[0], opts) : [await pushImage(ctx.root, args.positionals[0], opts)];
    r.done();
    if (quiet) for (const res of results) ctx.stdout.write(`${res.reference}\n`);
    return 0;
  },
};
export default command;
