import type { Command } from '../command.js';
import { flag } from '../args.js';
import { printError } from '../report.js';

const command: Command = {
  spec: {
    name: 'rm', usage: 'tug rm [OPTIONS] CONTAINER [CONTAINER...]', description: 'Remove one or more containers', minArgs: 1,
    flags: [
      { name: 'force', short: 'f', type: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
      { name: 'volumes', short: 'v', type: 'bool', description: 'Remove anonymous volumes associated with the container' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { removeContainer } = await import('../../runtime/remove.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let failed = false;
    for (const ref of args.positionals) {
      try {
        await removeContainer(svc, ref, flag.bool(args, 'force'), flag.bool(args, 'volumes'));
        ctx.stdout.write(ref + '\n');
      } catch (e) {
        failed = true;
        printError(ctx.stderr, e);
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
