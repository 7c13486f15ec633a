import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'pull',
    usage: 'tug pull [OPTIONS] NAME[:TAG|@DIGEST]',
    description: 'Download an image from a registry',
    flags: [
      { name: 'all-tags', short: 'a', type: 'bool', description: 'Download all tagged images in the repository' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress verbose output' },
      { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable (os/arch[/variant])' },
      { name: 'insecure-registry', type: 'list', description: 'Use plain HTTP for this registry (host[:port])' },
      { name: 'disable-content-trust', type: 'bool', description: 'Skip image verification (accepted; tug has no content trust)' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { pullImage, pullAllTags } = await import('../../distribution/pull.js');
    const { progressRenderer, noProgress } = await import('../../distribution/progress.js');
    const quiet = flag.bool(args, 'quiet');
    const r = quiet ? { sink: noProgress, done: () => {} } : progressRenderer(ctx.stdout);
    const opts = { platform: flag.str(args, 'platform'), progress: r.sink, insecure: flag.list(args, 'insecure-registry'), env: ctx.env };
    const results = flag.bool(args, 'all-tags') ? await pullAllTags(ctx.root, args.positionals[0], opts) : [await pullImage(ctx.root, args.positionals[0], opts)];
    r.done();
    const last = results[results.length - 1];
    if (quiet) {
      for (const p of results) ctx.stdout.write(`${p.reference}\n`);
      return 0;
    }
    for (const p of results) if (results.length > 1) ctx.stdout.write(`${p.familiar}: ${p.digest}\n`);
    if (results.length === 1) ctx.stdout.write(`Digest: ${last.digest}\n`);
    const shown = results.length > 1 ? last.familiar.replace(/:[^:/]+$/, '') : last.familiar;
    const anyNew = results.some((p) => p.downloaded);
    ctx.stdout.write(anyNew ? `Status: Downloaded newer image for ${shown}\n` : `Status: Image is up to date for ${shown}\n`);
    if (results.length === 1) ctx.stdout.write(`${last.reference}\n`);
    return 0;
  },
};
export default command;
