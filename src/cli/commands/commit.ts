import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'commit', usage: 'tug commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]', description: "Create a new image from a container's changes", minArgs: 1, maxArgs: 2,
    flags: [
      { name: 'author', short: 'a', type: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
      { name: 'change', short: 'c', type: 'list', description: 'Apply Dockerfile instruction to the created image' },
      { name: 'message', short: 'm', type: 'string', description: 'Commit message' },
      { name: 'pause', short: 'p', type: 'bool', default: true, description: 'Pause container during commit' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { commitContainer } = await import('../../runtime/changes.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const id = await commitContainer(svc, await svc.get(args.positionals[0]), {
      tag: args.positionals[1], author: flag.str(args, 'author') ?? '', message: flag.str(args, 'message') ?? '',
      changes: flag.list(args, 'change'), pause: flag.bool(args, 'pause'),
    });
    ctx.stdout.write(id + '\n');
    return 0;
  },
};
export default command;
