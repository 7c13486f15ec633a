import type { CommandSpec, ParsedArgs } from './args.js';
import type { CliContext } from './context.js';

export interface Command {
  spec: CommandSpec;
  /** Exit code when tug itself fails: 125 for run/create/exec, 1 for the rest (docker's rule). */
  failExitCode?: number;
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}
