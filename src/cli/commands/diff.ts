import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'diff', usage: 'tug diff CONTAINER', description: "Inspect changes to files or directories on a container's filesystem", minArgs: 1, maxArgs: 1, flags: [] },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { containerChanges } = await import('../../runtime/changes.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    for (const c of await containerChanges(svc, await svc.get(args.positionals[0]))) ctx.stdout.write(`${c.kind} ${c.path}\n`);
    return 0;
  },
};
export default command;
