// `tug buildx du` (docker buildx du / system df -v's build cache part): one row
// per cache record and cache-mount directory, then the totals. RECLAIMABLE is
// true when no image uses the record's layer, so pruning it frees the bytes.
import { flag } from '../args.js';
import type { Command } from '../command.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

const command: Command = {
  spec: {
    name: 'buildx du',
    usage: 'tug buildx du [OPTIONS]',
    description: 'Disk usage of the build cache',
    maxArgs: 0,
    flags: [
      { name: 'verbose', type: 'bool', description: 'Show the description of every record' },
      { name: 'filter', type: 'list', description: 'Provide filter values', unsupported: true },
    ],
  },
  async run(ctx, args) {
    const { buildCacheUsage } = await import('../../build/prune.js');
    const { humanSize, humanDuration } = await import('../../image/human.js');
    const rows = buildCacheUsage(ctx.root);
    const now = Date.now();
    if (flag.bool(args, 'verbose')) {
      for (const r of rows) {
        ctx.stdout.write(`ID:\t\t${r.id}\nCreated by:\t${r.description}\nType:\t\t${r.kind}\nShared:\t\t${r.shared}\nReclaimable:\t${r.reclaimable}\nSize:\t\t${humanSize(r.size)}\nLast used:\t${humanDuration(now - r.lastUsedAt)} ago\n\n`);
      }
    } else if (rows.length) {
      ctx.stdout.write(table([['ID', 'RECLAIMABLE', 'SIZE', 'LAST ACCESSED'], ...rows.map((r) => [r.id, String(r.reclaimable), humanSize(r.size), `${humanDuration(now - r.lastUsedAt)} ago`])]));
      ctx.stdout.write('\n');
    }
    const sum = (f: (r: (typeof rows)[number]) => boolean): number => rows.filter(f).reduce((s, r) => s + r.size, 0);
    ctx.stdout.write(table([
      ['Shared:', humanSize(sum((r) => r.shared))],
      ['Private:', humanSize(sum((r) => !r.shared))],
      ['Reclaimable:', humanSize(sum((r) => r.reclaimable))],
      ['Total:', humanSize(sum(() => true))],
    ]));
    return 0;
  },
};
export default command;
