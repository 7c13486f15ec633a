import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'start', usage: 'tug start [OPTIONS] CONTAINER [CONTAINER...]', description: 'Start one or more stopped containers', minArgs: 1,
    flags: [
      { name: 'attach', short: 'a', type: 'bool', description: "Attach STDOUT/STDERR and forward signals" },
      { name: 'interactive', short: 'i', type: 'bool', description: "Attach container's STDIN" },
      { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { startContainer } = await import('../../runtime/start.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const attach = flag.bool(args, 'attach') || flag.bool(args, 'interactive');
    if (attach) {
      if (args.positionals.length > 1) throw new (await import('../../util/errors.js')).TugError('INVALID_ARGUMENT', 'you cannot start and attach multiple containers at once', { hint: 'start them one by one' });
      const { startAttached } = await import('../../runtime/run.js');
      const rec = await svc.get(args.positionals[0]);
      try {
        return await startAttached(svc, rec, ctx, { sigProxy: true, detachKeys: flag.str(args, 'detach-keys'), stdin: flag.bool(args, 'interactive') && rec.config.openStdin });
      } catch (e) {
        (e as { exitCode?: number }).exitCode ??= 125;
        throw e;
      }
    }
    let failed = false;
    for (const ref of args.positionals) {
      try {
        const rec = await svc.get(ref);
        await startContainer(svc, rec);
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
