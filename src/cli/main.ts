// Entry point: global flags, verb lookup, error printing, exit code.
import { resolve } from 'node:path';
import { helpText, parseArgs } from './args.js';
import { DEFAULT_ROOT, runRootFor, type CliContext } from './context.js';
import { summaries, verbs } from './verbs.js';
import { TugError } from '../util/errors.js';
import { printError } from './report.js';

function globalHelp(): string {
  const lines = ['Usage:  tug [OPTIONS] COMMAND', '', 'A daemonless, Docker-compatible container engine', '', 'Options:',
    '      --root string      state root (default /var/lib/tug, or $TUG_ROOT)',
    '      --runroot string   runtime state (default /run/tug, or $TUG_RUNROOT)',
    '      --log-level string debug|info|warn|error (default "warn")',
    '  -v, --version          print the version', '', 'Commands:'];
  for (const [name, text] of summaries) lines.push(`  ${name.padEnd(18)} ${text}`);
  lines.push('', "Run 'tug COMMAND --help' for more information on a command.");
  return lines.join('\n') + '\n';
}


async function exit(code: number): Promise<never> {
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const env = process.env;
  let root = env.TUG_ROOT ? resolve(env.TUG_ROOT) : DEFAULT_ROOT;
  let logLevel = env.TUG_LOG_LEVEL ?? 'warn';
  let runRoot: string | undefined;
  let i = 0;
  const base = { stderr: process.stderr };
  try {
    for (; i < argv.length; i++) {
      const a = argv[i];
      const takeValue = (name: string): string | undefined => {
        if (a === `--${name}`) return argv[++i];
        if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
        return undefined;
      };
      let v: string | undefined;
      if ((v = takeValue('root')) !== undefined) root = resolve(v);
      else if ((v = takeValue('runroot')) !== undefined) runRoot = resolve(v);
      else if ((v = takeValue('log-level')) !== undefined) logLevel = v;
      else if (a === '-D' || a === '--debug') logLevel = 'debug';
      else if (a === '--version' || a === '-v') {
        process.stdout.write('tug version 0.1.0\n');
        return exit(0);
      } else if (a === '--help' || a === '-h') {
        process.stdout.write(globalHelp());
        return exit(0);
      } else if (a.startsWith('-')) {
        throw new TugError('INVALID_ARGUMENT', `unknown flag: ${a}`, { hint: "See 'tug --help'.", exitCode: 125 });
      } else break;
    }
    const rest = argv.slice(i);
    if (rest.length === 0) {
      process.stdout.write(globalHelp());
      return exit(0);
    }
    const two = rest.length > 1 ? `${rest[0]} ${rest[1]}` : '';
    const key = two && verbs[two] ? two : rest[0];
    const load = verbs[key];
    if (!load) {
      throw new TugError('INVALID_ARGUMENT', `unknown command: "tug ${rest[0]}"`, { hint: "See 'tug --help'." });
    }
    const command = (await load()).default;
    const ctx: CliContext = {
      root,
      runRoot: runRoot ?? runRootFor(root, env),
      logLevel,
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env,
    };
    let code: number;
    try {
      const parsed = parseArgs(command.spec, rest.slice(key.split(' ').length));
      if (parsed.help) {
        process.stdout.write(helpText(command.spec));
        return exit(0);
      }
      code = await command.run(ctx, parsed);
    } catch (e) {
      printError(ctx.stderr, e);
      code = e instanceof TugError && e.exitCode !== undefined ? e.exitCode : command.failExitCode ?? 1;
    }
    return exit(code);
  } catch (e) {
    printError(base.stderr, e);
    return exit(e instanceof TugError && e.exitCode !== undefined ? e.exitCode : 1);
  }
}
