import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'kill', usage: 'tug kill [OPTIONS] CONTAINER [CONTAINER...]', description: 'Kill one or more running containers', minArgs: 1,
    flags: [{ name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container', default: 'KILL' }],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { killContainer, normaliseSignal } = await import('../../runtime/lifecycle.js');
    const sig = normaliseSignal(flag.str(args, 'signal') ?? 'KILL');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let failed = false;
    for (const ref of args.positionals) {
      try {
        await killContainer(svc, await svc.get(ref), sig);
        ctx.stdout.write(ref + '\n');
      } catch (e) {
        failed = true;
        ctx.stderr.write(`Error: ${(e as Error).message}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
