import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'exec', usage: 'tug exec [OPTIONS] CONTAINER COMMAND [ARG...]', description: 'Execute a command in a running container', minArgs: 2, stopAtFirstPositional: true,
    flags: [
      { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
      { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
      { name: 'detach', short: 'd', type: 'bool', description: 'Detached mode: run command in the background' },
      { name: 'user', short: 'u', type: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
      { name: 'workdir', short: 'w', type: 'string', description: 'Working directory inside the container' },
      { name: 'env', short: 'e', type: 'list', description: 'Set environment variables' },
      { name: 'env-file', type: 'list', description: 'Read in a file of environment variables' },
      { name: 'privileged', type: 'bool', description: 'Give extended privileges to the command' },
      { name: 'detach-keys', type: 'string', description: 'Override the key sequence for detaching a container' },
    ],
  },
  failExitCode: 125,
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { execInContainer } = await import('../../runtime/exec.js');
    const { detachKeysOf } = await import('../../runtime/run.js');
    const { readFileSync } = await import('node:fs');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const [ref, ...cmd] = args.positionals;
    const rec = await svc.get(ref);
    const fileEnv = flag.list(args, 'env-file').flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')));
    const env = [...fileEnv, ...flag.list(args, 'env')].map((e) => (e.includes('=') ? e : process.env[e] !== undefined ? `${e}=${process.env[e]}` : '')).filter(Boolean);
    return execInContainer(svc, rec, {
      cmd, tty: flag.bool(args, 'tty'), interactive: flag.bool(args, 'interactive'), detach: flag.bool(args, 'detach'),
      user: flag.str(args, 'user'), workdir: flag.str(args, 'workdir'), env, privileged: flag.bool(args, 'privileged'),
      detachKeys: detachKeysOf(flag.str(args, 'detach-keys')),
    }, ctx);
  },
};
export default command;
