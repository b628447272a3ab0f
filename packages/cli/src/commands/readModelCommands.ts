import type { Command } from 'commander';
import type { Action } from './action';
import type { ReadModelOptions } from './readModelActions';

/** The command bodies, loaded when one runs: `--help` loads none of @rewind/core or @rewind/projections. */
const actions = (): typeof import('./readModelActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./readModelActions') as typeof import('./readModelActions');

/** Registers `readmodel`. */
export function registerReadModelCommands(program: Command, action: Action): void {
  program
    .command('readmodel <projection>')
    .description('show a read model: the served one, one as of a past moment, or a scratch namespace')
    .option('--as-of <position|time>', 'build it as of then, in a temporary namespace dropped afterwards')
    .option('--business-time', 'read an --as-of time as business time (occurred-at)')
    .option(
      '--namespace <ns>',
      'read this namespace (e.g. one left by rebuild --until; see --list-namespaces)',
    )
    .option('--list-namespaces', "list the projection's namespaces: served, being rebuilt, scratch")
    .option('--collection <name>', 'only this collection')
    .option('--id <key>', 'only this document (needs --collection)')
    .option('--limit <n>', 'print at most n documents of each collection (a positive integer)')
    .option('--diff-with-live', 'compare with the served read model instead of printing documents')
    .option('--drop <ns>', 'drop a namespace of this projection that is not served (e.g. a scratch one)')
    .addHelpText(
      'after',
      '\nScratch namespaces left by `rewind rebuild --until` are named after the point they stop at:\n' +
        '<projection>@v<version>~pos-<position>, ~at-<recorded time> or ~occurred-<business time>.\n' +
        '\nExamples:\n  $ rewind readmodel order-summary --collection orders\n' +
        '  $ rewind readmodel order-summary --as-of 2026-05-01T12:00:00Z --diff-with-live\n' +
        '  $ rewind readmodel order-summary --collection orders --limit 20\n' +
        '  $ rewind readmodel order-summary --list-namespaces\n' +
        '  $ rewind readmodel order-summary --namespace order-summary@v1~pos-42\n' +
        '  $ rewind readmodel order-summary --drop order-summary@v1~pos-42',
    )
    .action(
      action((ctx, projection: string, opts: ReadModelOptions) =>
        actions().showReadModel(ctx, projection, opts),
      ),
    );
}
