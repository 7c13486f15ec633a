import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

async function confirm(ctx: Parameters<Command['run']>[0], question: string): Promise<boolean> {
  ctx.stdout.write(`${question}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (b: Buffer): void => {
      buf += b.toString();
      if (buf.includes('\n')) done();
    };
    const done = (): void => {
      ctx.stdin.off('data', onData);
      ctx.stdin.pause();
      resolve(buf);
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', done);
  });
  return /^\s*y(es)?\s*$/i.test(line.split('\n')[0]);
}

const command: Command = {
  spec: {
    name: 'image prune',
    usage: 'tug image prune [OPTIONS]',
    description: 'Remove unused images',
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused images, not just dangling ones' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', description: 'Provide filter values', unsupported: true },
    ],
    maxArgs: 0,
  },
  async run(ctx, args) {
    const all = flag.bool(args, 'all');
    if (!flag.bool(args, 'force')) {
      const warning = all
        ? 'WARNING! This will remove all images without at least one container associated to them.'
        : 'WARNING! This will remove all dangling images.';
      if (!(await confirm(ctx, warning))) return 0;
    }
    const { ImageService } = await import('../../image/service.js');
    const { pruneImages } = await import('../../image/prune.js');
    const { collectImageGarbage, IMAGE_GC_GRACE_MS } = await import('../../image/gc.js');
    const { humanSize } = await import('../../image/human.js');
    const { nonImageRoots, nonImageSnapshots } = await import('./image-gc.js');
    const { releaseSnapshots } = await import('../../image/gc.js');
    const svc = ImageService.open(ctx.root);
    const r = pruneImages(svc, { all });
    const grace = ctx.env.TUG_GC_GRACE_MS !== undefined ? Number(ctx.env.TUG_GC_GRACE_MS) : IMAGE_GC_GRACE_MS;
    if (!Number.isFinite(grace) || grace < 0) throw new TugError('INVALID_ARGUMENT', `TUG_GC_GRACE_MS must be a number of milliseconds`, {});
    await releaseSnapshots(svc, r.chains ?? [], nonImageSnapshots(svc.db));
    const freed = await collectImageGarbage(svc, nonImageRoots(svc.db), grace);
    if (r.untagged.length || r.deleted.length) {
      ctx.stdout.write('Deleted Images:\n');
      for (const u of r.untagged) ctx.stdout.write(`untagged: ${u}\n`);
      for (const d of r.deleted) ctx.stdout.write(`deleted: ${d}\n`);
      ctx.stdout.write('\n');
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(freed.bytes)}\n`);
    return 0;
  },
};
export default command;
