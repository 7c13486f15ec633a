import type { Command } from '../command.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';

async function readAll(stream: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

async function prompt(ctx: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream }, question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: ctx.stdin, output: ctx.stdout, terminal: true });
  if (hidden) {
    // keep the password off the screen: echo nothing while it is typed
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(question)) ctx.stdout.write(s);
    };
  }
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  if (hidden) ctx.stdout.write('\n');
  return answer;
}

const command: Command = {
  spec: {
    name: 'login',
    usage: 'tug login [OPTIONS] [SERVER]',
    description: 'Log in to a registry.\nIf no server is specified, the default is Docker Hub.',
    flags: [
      { name: 'username', short: 'u', type: 'string', description: 'Username' },
      { name: 'password', short: 'p', type: 'string', description: 'Password' },
      { name: 'password-stdin', type: 'bool', description: 'Take the password from stdin' },
      { name: 'insecure-registry', type: 'list', description: 'Use plain HTTP for this registry (host[:port])' },
    ],
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { login } = await import('../../distribution/login.js');
    let username = flag.str(args, 'username');
    let password = flag.str(args, 'password');
    if (flag.bool(args, 'password-stdin')) {
      if (password !== undefined) throw new TugError('INVALID_ARGUMENT', '--password and --password-stdin are mutually exclusive');
      if (!username) throw new TugError('INVALID_ARGUMENT', 'Must provide --username with --password-stdin');
      password = (await readAll(ctx.stdin)).replace(/[\r\n]+$/, '');
    } else if (password !== undefined) {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || password === undefined) {
      if (!ctx.stdin.isTTY) {
        throw new TugError('INVALID_ARGUMENT', 'Cannot perform an interactive login from a non TTY device', { hint: 'pass -u USER --password-stdin' });
      }
      if (!username) username = (await prompt(ctx, 'Username: ', false)).trim();
      if (password === undefined) password = await prompt(ctx, 'Password: ', true);
    }
    const r = await login(args.positionals[0], { username, password }, { insecure: flag.list(args, 'insecure-registry'), root: ctx.root, env: ctx.env });
    if (r.store === 'file') {
      ctx.stdout.write(
        `WARNING! Your password will be stored unencrypted in ${r.path}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`,
      );
    }
    ctx.stdout.write('Login Succeeded\n');
    return 0;
  },
};
export default command;
