import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'export', usage: 'tug export [OPTIONS] CONTAINER', description: "Export a container's filesystem as a tar archive", minArgs: 1, maxArgs: 1,
    flags: [{ name: 'output', short: 'o', type: 'string', description: 'Write to a file, instead of STDOUT' }],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { exportContainer } = await import('../../runtime/changes.js');
    const { TugError } = await import('../../util/errors.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const rec = await svc.get(args.positionals[0]);
    const file = flag.str(args, 'output');
    if (!file && ctx.stdout.isTTY) throw new TugError('INVALID_ARGUMENT', 'cowardly refusing to save to a terminal', { hint: 'use the -o flag or redirect' });
    if (file) {
      const { createWriteStream } = await import('node:fs');
      const out = createWriteStream(file);
      await exportContainer(svc, rec, out);
      await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
    } else {
      await exportContainer(svc, rec, ctx.stdout);
    }
    return 0;
  },
};
export default command;
