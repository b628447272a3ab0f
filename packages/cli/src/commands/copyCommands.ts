import type { Command } from 'commander';
import type { Action } from './action';

/** The command body, loaded when it runs: `--help` loads none of @rewind/core or the store packages. */
const actions = (): typeof import('./copyActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./copyActions') as typeof import('./copyActions');

/** The options of `rewind copy`, as commander gives them. */
export interface CopyCommandOptions {
  from?: string;
  to?: string;
  after?: string;
  batchSize: string;
  rebuild?: boolean;
}

/** Registers `copy`. */
export function registerCopyCommands(program: Command, action: Action): void {
  program
    .command('copy')
    .description("copy every event of one store's log into another (e.g. SQLite to EventStoreDB), resumable")
    .option('--to <store>', "copy the config's event store into this one")
    .option('--from <store>', "copy this store into the config's event store")
    .option('--after <position>', 'copy only the source events after this source position (to resume)')
    .option('--batch-size <n>', 'events of one stream per append at most', '500')
    .option(
      '--rebuild',
      'then rebuild every projection against the target (into the config read-model store)',
    )
    .addHelpText(
      'after',
      '\nStores: sqlite:<file>, esdb://host:2113?tls=false (esdb+discover://), postgres://… (postgresql://; once\n' +
        "@rewind/postgres has an event store). Without --from, the source is the config's event store; without\n" +
        '--to, the target is. Streams, revisions, event ids, types, data and metadata are kept; recorded times\n' +
        "and global positions are the target's own, so every projection must be rebuilt against the target.\n" +
        'Run it again after an interruption: events already copied are recognised by their ids and skipped.\n' +
        '\nExamples:\n  $ rewind copy --to esdb://localhost:2113?tls=false\n  $ rewind copy --from sqlite:./old-events.db --rebuild\n  $ rewind copy --to sqlite:./new.db --after 5000',
    )
    .action(action((ctx, opts: CopyCommandOptions) => actions().copy(ctx, opts)));
}
