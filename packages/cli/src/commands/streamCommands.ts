import type { Command } from 'commander';
import type { Action } from './action';

/** The command bodies, loaded when one runs: `--help` loads none of @rewind/core. */
const actions = (): typeof import('./streamActions') =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./streamActions') as typeof import('./streamActions');

/** Registers `streams list` and `streams read`. */
export function registerStreamCommands(program: Command, action: Action): void {
  const streams = program.command('streams').description('list and read event streams');

  streams
    .command('list')
    .description('list streams with their current revision')
    .option('--prefix <prefix>', 'only streams whose id starts with this, e.g. order-')
    .option('--limit <n>', 'at most this many streams', '100')
    .addHelpText('after', '\nExample:\n  $ rewind streams list --prefix order- --limit 20')
    .action(action((ctx, opts: { prefix?: string; limit: string }) => actions().listStreams(ctx, opts)));

  streams
    .command('read <stream>')
    .description('print the events of one stream')
    .option('--from <n>', 'first revision', '0')
    .option('--limit <n>', 'at most this many events', '100')
    .addHelpText('after', '\nExample:\n  $ rewind streams read order-7f3c… --from 2 --limit 10 --json')
    .action(
      action((ctx, stream: string, opts: { from: string; limit: string }) =>
        actions().readStream(ctx, stream, opts),
      ),
    );
}
