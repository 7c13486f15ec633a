import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'volume prune', usage: 'tug volume prune [OPTIONS]', description: 'Remove unused local volumes (anonymous only, unless -a)', maxArgs: 0,
    flags: [
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    ],
  },
  async run(ctx, args) {
    if (!flag.bool(args, 'force')) {
      ctx.stdout.write('WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((r) => {
        let buf = '';
        ctx.stdin.on('data', (b: Buffer) => { buf += b; if (buf.includes('\n')) r(buf); });
        ctx.stdin.on('end', () => r(buf));
      });
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const { ContainerService } = await import('../../runtime/service.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const containers = svc.store.list();
    const removed: string[] = [];
    for (const v of svc.volumes.list()) {
      if (!flag.bool(args, 'all') && !v.anonymous) continue;
      if (svc.volumes.users(v.name, containers).length) continue;
      svc.volumes.remove(v.name, containers);
      removed.push(v.name);
    }
    if (removed.length) ctx.stdout.write(`Deleted Volumes:\n${removed.map((n) => n + '\n').join('')}\n`);
    ctx.stdout.write('Total reclaimed space: 0B\n');
    return 0;
  },
};
export default command;
