// `tug buildx logs [IMAGE | STEP-KEY]`: the full, never clipped output of the
// RUN steps of a build, as the build printed it (secret values masked).
// No argument: the most recent build (failed ones included). IMAGE: the last
// build that produced it, cached steps shown with the log of the run that made
// them. STEP-KEY: a step's cache key or a unique prefix of it.
import type { Command } from '../command.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'buildx logs',
    usage: 'tug buildx logs [IMAGE | STEP-KEY]',
    description: 'Print the full logs of the RUN steps of a build',
    maxArgs: 1,
    flags: [],
  },
  async run(ctx, args) {
    const { openDb } = await import('../../meta/db.js');
    const { buildMigrations } = await import('../../build/cache.js');
    const { logsOfBuild, logsByKeyPrefix } = await import('../../build/steplog.js');
    const { ContentStore } = await import('../../content/index.js');
    const db = openDb(ctx.root, [buildMigrations]);
    const arg = args.positionals[0];
    let logs;
    if (arg === undefined) {
      const b = logsOfBuild(db);
      if (!b) throw new TugError('NOT_FOUND', 'no build has been recorded yet', { hint: 'run tug build first' });
      logs = b.logs;
    } else if (/^(sha256:)?[a-f0-9]{6,64}$/.test(arg) && logsByKeyPrefix(db, arg).length > 0) {
      logs = logsByKeyPrefix(db, arg);
      if (logs.length > 1) throw new TugError('INVALID_ARGUMENT', `step key prefix ${arg} is ambiguous (${logs.length} steps)`, { hint: 'give more characters of the key' });
    } else {
      const { ImageService } = await import('../../image/service.js');
      const img = ImageService.open(ctx.root).resolve(arg);
      const b = logsOfBuild(db, img.id);
      if (!b) throw new TugError('NOT_FOUND', `no build of ${arg} is recorded`, { hint: 'logs are kept for images tug built, until tug builder prune' });
      logs = b.logs;
    }
    const store = ContentStore.open(ctx.root);
    for (const l of logs) {
      ctx.stdout.write(`#${l.key.slice(7, 19)} ${l.description}${l.exitCode !== null ? ` (failed, exit code ${l.exitCode})` : ''}\n`);
      if (!(await store.has(l.digest))) {
        ctx.stdout.write('(log pruned)\n\n');
        continue;
      }
      let last = 10;
      for await (const chunk of await store.open(l.digest)) {
        const b = chunk as Buffer;
        if (b.length) last = b[b.length - 1];
        if (!ctx.stdout.write(b)) await new Promise((r) => ctx.stdout.once('drain', r));
      }
      ctx.stdout.write(last === 10 ? '\n' : '\n\n');
    }
    return 0;
  },
};
export default command;
