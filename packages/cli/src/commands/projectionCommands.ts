import type { Command } from 'commander';
import type { Action } from './action';

/** The command bodies, loaded when one runs: `--help` loads none of @rewind/core or @rewind/projections. */
const actions = (): typeof import('./projectionActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./projectionActions') as typeof import('./projectionActions');

/** Registers `projections list|status|pause|resume` and `dead-letters list|retry|skip`. */
export function registerProjectionCommands(program: Command, action: Action): void {
  const projections = program.command('projections').description('see and steer projections and reactors');

  projections
    .command('list')
    .description('list the configured projections and reactors')
    .addHelpText('after', '\nExample:\n  $ rewind projections list --json')
    .action(action((ctx) => actions().listProjections(ctx)));

  projections
    .command('status [name]')
    .description('state, checkpoint, lag, events/s and last error of each projection')
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind projections status\n  $ rewind projections status order-summary --json',
    )
    .action(action((ctx, name: string | undefined) => actions().status(ctx, name)));

  for (const verb of ['pause', 'resume'] as const) {
    projections
      .command(`${verb} <name>`)
      .description(verb === 'pause' ? 'pause a projection in every process' : 'resume a paused projection')
      .addHelpText('after', `\nExample:\n  $ rewind projections ${verb} order-summary`)
      .action(action((ctx, name: string) => actions().pauseOrResume(verb, ctx, name)));
  }

  const letters = program.command('dead-letters').description('list, retry or skip parked events');

  letters
    .command('list [projection]')
    .description('list parked events, of one projection or all')
    .addHelpText('after', '\nExample:\n  $ rewind dead-letters list order-summary')
    .action(action((ctx, projection: string | undefined) => actions().listDeadLetters(ctx, projection)));

  letters
    .command('retry [id]')
    .description('apply a parked event again (after a fix), or every one with --all')
    .option('--all', 'retry every dead letter')
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind dead-letters retry 3f9a…\n  $ rewind dead-letters retry --all',
    )
    .action(
      action((ctx, id: string | undefined, opts: { all?: boolean }) =>
        actions().retryDeadLetters(ctx, id, opts),
      ),
    );

  letters
    .command('skip <id>')
    .description('drop a parked event without applying it')
    .addHelpText('after', '\nExample:\n  $ rewind dead-letters skip 3f9a…')
    .action(action((ctx, id: string) => actions().skipDeadLetter(ctx, id)));
}
