import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'rename', usage: 'tug rename CONTAINER NEW_NAME', description: 'Rename a container', minArgs: 2, maxArgs: 2, flags: [] },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { renameContainer } = await import('../../runtime/ops.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    renameContainer(svc, await svc.get(args.positionals[0]), args.positionals[1]);
    return 0;
  },
};
export default command;
