import type { Command } from '../command.js';
import { flag } from '../args.js';
import { printError } from '../report.js';

const command: Command = {
  spec: {
    name: 'volume rm', usage: 'tug volume rm [OPTIONS] VOLUME [VOLUME...]', description: 'Remove one or more volumes', minArgs: 1,
    flags: [{ name: 'force', short: 'f', type: 'bool', description: 'Force the removal of one or more volumes' }],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let failed = false;
    for (const n of args.positionals) {
      try {
        if (flag.bool(args, 'force') && !svc.volumes.get(n)) {
          ctx.stdout.write(n + '\n');
          continue;
        }
        svc.volumes.remove(n, svc.store.list());
        ctx.stdout.write(n + '\n');
      } catch (e) {
        failed = true;
        printError(ctx.stderr, e);
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
