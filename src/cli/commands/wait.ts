import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'wait', usage: 'tug wait CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes', minArgs: 1, flags: [] },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { waitContainer } = await import('../../runtime/lifecycle.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let failed = false;
    for (const ref of args.positionals) {
      try {
        ctx.stdout.write(`${await waitContainer(svc, await svc.get(ref))}\n`);
      } catch (e) {
        failed = true;
        ctx.stderr.write(`Error: ${(e as Error).message}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
