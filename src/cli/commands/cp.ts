import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'cp', usage: 'tug cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n        tug cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH', description: 'Copy files/folders between a container and the local filesystem', minArgs: 2, maxArgs: 2,
    flags: [
      { name: 'archive', short: 'a', type: 'bool', description: 'Archive mode (copy all uid/gid information)' },
      { name: 'follow-link', short: 'L', type: 'bool', description: 'Always follow symbol link in SRC_PATH' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress progress output during copy' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const [a, b] = args.positionals;
    const split = (s: string): [string, string] | undefined => {
      if (s.startsWith('/') || s.startsWith('.') || s === '-') return undefined;
      const i = s.indexOf(':');
      return i > 0 ? [s.slice(0, i), s.slice(i + 1)] : undefined;
    };
    const from = split(a);
    const to = split(b);
    if (from && to) throw new TugError('INVALID_ARGUMENT', 'copying between containers is not supported', { hint: 'copy to the host first' });
    if (!from && !to) throw new TugError('INVALID_ARGUMENT', 'must specify at least one container source', { hint: 'write CONTAINER:PATH on one side' });
    const { ContainerService } = await import('../../runtime/service.js');
    const { copyFromContainer, copyToContainer } = await import('../../runtime/cp.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const archive = flag.bool(args, 'archive');
    if (from) await copyFromContainer(svc, await svc.get(from[0]), from[1], b, archive, ctx.stdout);
    else await copyToContainer(svc, await svc.get(to![0]), a, to![1], archive, ctx.stdin);
    return 0;
  },
};
export default command;
