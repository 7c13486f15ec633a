import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'stop', usage: 'tug stop [OPTIONS] CONTAINER [CONTAINER...]', description: 'Stop one or more running containers', minArgs: 1,
    flags: [
      { name: 'time', short: 't', type: 'int', description: 'Seconds to wait before killing the container' },
      { name: 'signal', short: 's', type: 'string', description: 'Signal to send to the container' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { stopContainer } = await import('../../runtime/lifecycle.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let failed = false;
    await Promise.all(args.positionals.map(async (ref) => {
      try {
        await stopContainer(svc, await svc.get(ref), flag.int(args, 'time'), flag.str(args, 'signal'));
        ctx.stdout.write(ref + '\n');
      } catch (e) {
        failed = true;
        ctx.stderr.write(`Error response from daemon: ${(e as Error).message}\n`.replace('Error response from daemon: ', 'Error: '));
      }
    }));
    return failed ? 1 : 0;
  },
};
export default command;
