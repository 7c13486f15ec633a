import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'attach', usage: 'tug attach [OPTIONS] CONTAINER', description: "Attach local standard input, output, and error streams to a running container", minArgs: 1, maxArgs: 1,
    flags: [
      { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
      { name: 'no-stdin', type: 'bool', description: 'Do not attach STDIN' },
      { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy all received signals to the process' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { attachRunning } = await import('../../runtime/attach-running.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    return attachRunning(svc, await svc.get(args.positionals[0]), ctx, {
      detachKeys: flag.str(args, 'detach-keys'), stdin: !flag.bool(args, 'no-stdin'), sigProxy: flag.bool(args, 'sig-proxy'),
    });
  },
};
export default command;
