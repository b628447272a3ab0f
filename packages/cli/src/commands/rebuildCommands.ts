import type { Command } from 'commander';
import type { Action } from './action';

/** The command bodies, loaded when one runs: `--help` loads none of @rewind/core or @rewind/projections. */
const actions = (): typeof import('./rebuildActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./rebuildActions') as typeof import('./rebuildActions');

/** Registers `rebuild`. */
export function registerRebuildCommands(program: Command, action: Action): void {
  program
    .command('rebuild [projections...]')
    .description('rebuild read models from the log with no downtime, or as of a past moment with --until')
    .option('--all', 'rebuild every projection')
    .option('--until <position|time>', 'build the read model as it was then into a scratch namespace')
    .option('--business-time', 'read an --until time as business time (occurred-at)')
    .option('--fresh', 'start over instead of resuming an interrupted rebuild (after fixing a handler)')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nAn interrupted rebuild resumes from its own checkpoint (said on stderr); --fresh starts it over.\n' +
        '\nExamples:\n  $ rewind rebuild order-summary --yes\n  $ rewind rebuild order-summary --fresh --yes\n  $ rewind rebuild --all --yes\n  $ rewind rebuild order-summary --until 2026-05-01T12:00:00Z',
    )
    .action(
      action(
        (
          ctx,
          names: string[],
          opts: { all?: boolean; until?: string; businessTime?: boolean; fresh?: boolean; yes?: boolean },
        ) => actions().rebuild(ctx, names, opts),
      ),
    );
}
