import type { Command } from 'commander';
import type { Action } from './action';

/** The command bodies, loaded when one runs: `--help` loads none of @rewind/core. */
const actions = (): typeof import('./aggregateActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./aggregateActions') as typeof import('./aggregateActions');

/** Registers `travel`, `history` and `bisect`. */
export function registerAggregateCommands(program: Command, action: Action): void {
  program
    .command('travel <aggregate> <id>')
    .description("show an aggregate's state at a revision or a moment")
    .option('--revision <n>', 'state after this revision (0-based)')
    .option('--at <time>', 'state as recorded at this ISO 8601 time')
    .option('--business-time', 'read --at as business time (occurred-at) instead of recorded time')
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind travel order 7f3c… --revision 2\n  $ rewind travel order 7f3c… --at 2026-05-01T12:15:00Z --json',
    )
    .action(
      action(
        (
          ctx,
          aggregate: string,
          id: string,
          opts: { revision?: string; at?: string; businessTime?: boolean },
        ) => actions().travel(ctx, aggregate, id, opts),
      ),
    );

  program
    .command('history <aggregate> <id>')
    .description('list the events of an aggregate, each with the state change it caused')
    .option('--from <n>', 'first revision to show')
    .option('--to <n>', 'last revision to show')
    .addHelpText('after', '\nExample:\n  $ rewind history order 7f3c… --from 1 --to 3')
    .action(
      action((ctx, aggregate: string, id: string, opts: { from?: string; to?: string }) =>
        actions().history(ctx, aggregate, id, opts),
      ),
    );

  program
    .command('bisect <aggregate> <id>')
    .description('find the first revision at which a condition on the state holds')
    .option(
      '--where <expression>',
      'a safe expression on the state, e.g. \'status == "paid" && total >= 10\'',
    )
    .option('--predicate <name>', 'a named predicate from the config (predicates: { name: (state) => ... })')
    .addHelpText(
      'after',
      "\nExamples:\n  $ rewind bisect order 7f3c… --where 'status == \"paid\" && total >= 10'\n  $ rewind bisect order 7f3c… --where 'lines.length > 2'\n  $ rewind bisect order 7f3c… --predicate refunded\n\n" +
        'Expressions: state paths (a.b, items[0], items.length), "strings", numbers, true, false, null,\n' +
        '==, !=, >, >=, <, <=, !, &&, ||, parentheses. Nothing else is evaluated.',
    )
    .action(
      action((ctx, aggregate: string, id: string, opts: { where?: string; predicate?: string }) =>
        actions().bisect(ctx, aggregate, id, opts),
      ),
    );
}
