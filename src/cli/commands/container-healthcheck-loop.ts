// Hidden: the per-container healthcheck supervisor started by `run`/`start`.
import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'container healthcheck-loop', usage: 'tug container healthcheck-loop ID GENERATION', description: 'Run a container\'s healthcheck until it stops (started by tug)', flags: [], minArgs: 2, maxArgs: 2 },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { healthLoop } = await import('../../runtime/health.js');
    await healthLoop(ContainerService.open(ctx.root, ctx.runRoot), args.positionals[0], Number(args.positionals[1]));
    return 0;
  },
};
export default command;
