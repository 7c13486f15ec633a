import type { Command } from '../command.js';
import { flag } from '../args.js';
import { eachContainer } from './container-each.js';

const command: Command = {
  spec: {
    name: 'update', usage: 'tug update [OPTIONS] CONTAINER [CONTAINER...]', description: 'Update configuration of one or more containers', minArgs: 1,
    flags: [
      { name: 'memory', short: 'm', type: 'string', description: 'Memory limit' },
      { name: 'memory-swap', type: 'string', description: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
      { name: 'cpus', type: 'string', description: 'Number of CPUs' },
      { name: 'cpu-shares', short: 'c', type: 'int', description: 'CPU shares (relative weight)' },
      { name: 'pids-limit', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
      { name: 'restart', type: 'string', description: 'Restart policy to apply when a container exits' },
    ],
  },
  async run(ctx, args) {
    const { updateContainer } = await import('../../runtime/ops.js');
    const { parseBytes } = await import('../../runtime/units.js');
    const { TugError } = await import('../../util/errors.js');
    const mem = flag.str(args, 'memory');
    const swap = flag.str(args, 'memory-swap');
    const cpus = flag.str(args, 'cpus');
    if (cpus !== undefined && !(Number(cpus) > 0)) throw new TugError('INVALID_ARGUMENT', `invalid argument "${cpus}" for "--cpus" flag`, { hint: 'e.g. --cpus 1.5' });
    const restart = flag.str(args, 'restart');
    let policy: { name: 'no' | 'on-failure' | 'always' | 'unless-stopped'; maximumRetryCount: number } | undefined;
    if (restart !== undefined) {
      const [name, n] = restart.split(':');
      if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) throw new TugError('INVALID_ARGUMENT', `invalid restart policy: ${restart}`, { hint: 'use no, on-failure[:N], always or unless-stopped' });
      policy = { name: name as 'no' | 'on-failure' | 'always' | 'unless-stopped', maximumRetryCount: n ? Number(n) : 0 };
    }
    const res = {
      memory: mem === undefined ? undefined : parseBytes(mem, 'memory'),
      memorySwap: swap === undefined ? undefined : swap === '-1' ? -1 : parseBytes(swap, 'memory-swap'),
      nanoCpus: cpus === undefined ? undefined : Math.round(Number(cpus) * 1e9),
      cpuShares: flag.int(args, 'cpu-shares'),
      pidsLimit: flag.int(args, 'pids-limit'),
    };
    return eachContainer(ctx, args.positionals, (svc, rec) => updateContainer(svc, rec, res, policy));
  },
};
export default command;
