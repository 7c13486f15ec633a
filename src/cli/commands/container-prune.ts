import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'container prune', usage: 'tug container prune [OPTIONS]', description: 'Remove all stopped containers', maxArgs: 0,
    flags: [
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    if (!flag.bool(args, 'force')) {
      ctx.stdout.write('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((r) => {
        let buf = '';
        ctx.stdin.on('data', (b: Buffer) => {
          buf += b;
          if (buf.includes('\n')) r(buf);
        });
        ctx.stdin.on('end', () => r(buf));
      });
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const labels = flag.list(args, 'filter').map((f) => {
      const m = /^label(!?)=([^=]+)(?:=(.*))?$/.exec(f);
      if (!m) throw new TugError('INVALID_ARGUMENT', `invalid filter '${f}'`, { hint: 'supported: label=KEY[=VALUE], label!=KEY[=VALUE]' });
      return { neg: m[1] === '!', key: m[2], value: m[3] };
    });
    const { ContainerService } = await import('../../runtime/service.js');
    const { pruneContainers } = await import('../../runtime/ops.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const removed = await pruneContainers(svc, (r) => labels.every((l) => {
      const has = l.key in r.config.labels && (l.value === undefined || r.config.labels[l.key] === l.value);
      return l.neg ? !has : has;
    }));
    if (removed.length) ctx.stdout.write(`Deleted Containers:\n${removed.map((i) => i + '\n').join('')}\n`);
    ctx.stdout.write('Total reclaimed space: 0B\n');
    return 0;
  },
};
export default command;
