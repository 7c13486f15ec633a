import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'top', usage: 'tug top CONTAINER [ps OPTIONS]', description: 'Display the running processes of a container', minArgs: 1, flags: [], stopAtFirstPositional: true },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { topContainer } = await import('../../runtime/ops.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const [ref, ...ps] = args.positionals;
    ctx.stdout.write(topContainer(await svc.get(ref), ps));
    return 0;
  },
};
export default command;
