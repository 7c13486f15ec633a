import type { Command } from '../command.js';
import { flag } from '../args.js';
import { createFlags, toCreateRequest } from './container-opts.js';

const command: Command = {
  spec: {
    name: 'run',
    usage: 'tug run [OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create and run a new container from an image',
    flags: [
      { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
      { name: 'sig-proxy', type: 'bool', default: true, description: 'Proxy received signals to the process' },
      { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
      ...createFlags,
    ],
    stopAtFirstPositional: true,
  },
  failExitCode: 125,
  async run(ctx, args) {
    const req = toCreateRequest(args, args.positionals);
    const { runContainer } = await import('../../runtime/run.js');
    return runContainer(ctx, req, {
      detach: flag.bool(args, 'detach'),
      sigProxy: flag.bool(args, 'sig-proxy'),
      detachKeys: flag.str(args, 'detach-keys'),
      cidfile: flag.str(args, 'cidfile'),
    });
  },
};
export default command;
