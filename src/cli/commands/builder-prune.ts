// `tug builder prune` (docker builder prune / buildx prune): drops build-cache
// records, then runs the one garbage collector with every module's roots, so
// only blobs nothing else uses (no image, no registry repository) are freed.
import { flag } from '../args.js';
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

async function confirm(ctx: Parameters<Command['run']>[0], question: string): Promise<boolean> {
  ctx.stdout.write(`${question}\nAre you sure you want to continue? [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const done = (): void => {
      ctx.stdin.off('data', onData);
      ctx.stdin.pause();
      resolve(buf);
    };
    const onData = (b: Buffer): void => {
      buf += b.toString();
      if (buf.includes('\n')) done();
    };
    ctx.stdin.on('data', onData);
    ctx.stdin.once('end', done);
  });
  return /^\s*y(es)?\s*$/i.test(line.split('\n')[0]);
}

const command: Command = {
  spec: {
    name: 'builder prune',
    usage: 'tug builder prune [OPTIONS]',
    description: 'Remove build cache',
    maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Remove all unused build cache, not just dangling ones (also cache mounts and step logs)' },
      { name: 'force', short: 'f', type: 'bool', description: 'Do not prompt for confirmation' },
      { name: 'filter', type: 'list', description: 'Provide filter values (e.g. "until=24h")' },
      { name: 'keep-storage', type: 'string', description: 'Amount of disk space to keep for cache' },
      { name: 'verbose', type: 'bool', description: 'Print the removed records' },
    ],
  },
  async run(ctx, args) {
    const { parseBytes, parseDuration } = await import('../../runtime/units.js');
    const all = flag.bool(args, 'all');
    let olderThanMs: number | undefined;
    for (const f of flag.list(args, 'filter')) {
      const eq = f.indexOf('=');
      const key = eq < 0 ? f : f.slice(0, eq);
      if (key !== 'until') throw new TugError('INVALID_ARGUMENT', `invalid filter '${key}'`, { hint: 'tug builder prune supports --filter until=DURATION (e.g. until=24h)' });
      olderThanMs = parseDuration(f.slice(eq + 1), 'filter') / 1e6;
    }
    const keep = flag.str(args, 'keep-storage');
    const keepBytes = keep !== undefined ? parseBytes(keep, 'keep-storage') : undefined;
    if (!flag.bool(args, 'force')) {
      const warning = all ? 'WARNING! This will remove all build cache.' : 'WARNING! This will remove all dangling build cache.';
      if (!(await confirm(ctx, warning))) return 0;
    }
    const { pruneBuildCache } = await import('../../build/prune.js');
    const r = await pruneBuildCache(ctx.root, { all, keepBytes, olderThanMs });
    const { collectGarbage } = await import('../../meta/gc.js');
    const { ContentStore } = await import('../../content/index.js');
    const { openDb } = await import('../../meta/db.js');
    const { otherModuleRoots } = await import('./registry-roots.js');
    const { registryRoots } = await import('../../registry/gc.js');
    const { registryMigrations } = await import('../../registry/schema.js');
    const { IMAGE_GC_GRACE_MS } = await import('../../image/gc.js');
    const grace = ctx.env.TUG_GC_GRACE_MS !== undefined ? Number(ctx.env.TUG_GC_GRACE_MS) : IMAGE_GC_GRACE_MS;
    if (!Number.isFinite(grace) || grace < 0) throw new TugError('INVALID_ARGUMENT', 'TUG_GC_GRACE_MS must be a number of milliseconds');
    const db = openDb(ctx.root, [registryMigrations]);
    const gc = await collectGarbage({ store: ContentStore.open(ctx.root), db, roots: [...otherModuleRoots(db), registryRoots(db)], gracePeriodMs: grace });
    const { humanSize } = await import('../../image/human.js');
    if (r.removedKeys.length || r.cacheMountsRemoved) {
      ctx.stdout.write('Deleted build cache objects:\n');
      for (const k of r.removedKeys) ctx.stdout.write(`${k.slice(7, 32)}\n`);
      if (r.cacheMountsRemoved) ctx.stdout.write(`(${r.cacheMountsRemoved} cache mount${r.cacheMountsRemoved === 1 ? '' : 's'})\n`);
      ctx.stdout.write('\n');
    }
    ctx.stdout.write(`Total reclaimed space: ${humanSize(gc.freedBytes + r.cacheMountBytes)}\n`);
    return 0;
  },
};
export default command;
