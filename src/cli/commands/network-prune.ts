import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'network prune', usage: 'tug network prune [OPTIONS]', description: 'Remove all unused networks', maxArgs: 0,
    flags: [
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "label=<key>=<value>")' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const filters = flag.list(args, 'filter').map((f) => {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k !== 'label' && k !== 'label!') throw new TugError('INVALID_ARGUMENT', `invalid filter '${k}'`, { hint: 'supported: label, label!' });
      return { neg: k === 'label!', key: v.split('=')[0], value: v.includes('=') ? v.slice(v.indexOf('=') + 1) : undefined };
    });
    if (!flag.bool(args, 'force')) {
      ctx.stdout.write('WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((r) => {
        let buf = '';
        ctx.stdin.on('data', (b: Buffer) => { buf += b; if (buf.includes('\n')) r(buf); });
        ctx.stdin.on('end', () => r(buf));
      });
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const { pruneNetworks } = await import('../../network/networks.js');
    const removed = await pruneNetworks(ctx.root, (n) => filters.every((f) => {
      const has = f.key in n.labels && (f.value === undefined || n.labels[f.key] === f.value);
      return f.neg ? !has : has;
    }));
    if (removed.length) ctx.stdout.write(`Deleted Networks:\n${removed.map((n) => `${n}\n`).join('')}`);
    return 0;
  },
};
export default command;
