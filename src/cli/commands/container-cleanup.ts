// Hidden: conmon's --exit-command. Records the exit, releases resources, and
// applies the restart policy or --rm (no daemon needed).
import type { Command } from '../command.js';

const command: Command = {
  spec: { name: 'container cleanup', usage: 'tug container cleanup ID GENERATION', description: 'Clean up after a container exited (run by conmon)', flags: [], minArgs: 1, maxArgs: 2 },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { cleanupContainer } = await import('../../runtime/lifecycle.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const rec = svc.store.find(args.positionals[0]);
    if (!rec) return 0;
    await cleanupContainer(svc, rec.id, Number(args.positionals[1] ?? rec.state.generation));
    return 0;
  },
};
export default command;
