import type { Command } from 'commander';
import type { CliContext, GlobalOptions } from '../context';

/** A command body: gets the context and commander's arguments, may return an exit code. */
export type Action = <A extends unknown[]>(
  body: (ctx: CliContext, ...args: A) => Promise<number | void>,
) => (...args: unknown[]) => Promise<void>;

/**
 * Wraps command bodies: opens the context from the global options, runs the body, closes the context
 * and records the exit code. Errors propagate to the program's handler. The context (and with it the
 * config, swc and the stores' packages) is loaded here, when a command runs, never for `--help`.
 */
export function makeAction(program: Command, setExit: (code: number) => void): Action {
  return (body) =>
    async (...args: unknown[]) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { CliContext } = require('../context') as typeof import('../context');
      const ctx = await CliContext.open(program.opts<GlobalOptions>());
      try {
        const code = await body(ctx, ...(args as never));
        setExit(code ?? 0);
      } finally {
        await ctx.close();
      }
    };
}
