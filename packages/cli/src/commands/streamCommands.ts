import { serializePosition } from '@rewind/core';
import type { Command } from 'commander';
import { show, table } from '../output/format';
import { parseNonNegative } from '../util/parseInput';
import type { Action } from './action';

/** Registers `streams list` and `streams read`. */
export function registerStreamCommands(program: Command, action: Action): void {
  const streams = program.command('streams').description('list and read event streams');

  streams
    .command('list')
    .description('list streams with their current revision')
    .option('--prefix <prefix>', 'only streams whose id starts with this, e.g. order-')
    .option('--limit <n>', 'at most this many streams', '100')
    .addHelpText('after', '\nExample:\n  $ rewind streams list --prefix order- --limit 20')
    .action(
      action(async (ctx, opts: { prefix?: string; limit: string }) => {
        const limit = Number(parseNonNegative(opts.limit, '--limit'));
        const { eventStore } = await ctx.rewind();
        const rows: Array<{ streamId: string; revision: bigint }> = [];
        for await (const info of eventStore.listStreams({
          ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
          limit,
        })) {
          rows.push({ streamId: info.streamId, revision: info.revision });
          if (rows.length >= limit) break;
        }
        ctx.out.data({ streams: rows });
        if (rows.length === 0) ctx.out.line('No streams.');
        else
          ctx.out.line(
            table(
              [['STREAM', 'REVISION'], ...rows.map((r) => [r.streamId, String(r.revision)])],
              ctx.out.colors.bold,
            ),
          );
      }),
    );

  streams
    .command('read <stream>')
    .description('print the events of one stream')
    .option('--from <n>', 'first revision', '0')
    .option('--limit <n>', 'at most this many events', '100')
    .addHelpText('after', '\nExample:\n  $ rewind streams read order-7f3c… --from 2 --limit 10 --json')
    .action(
      action(async (ctx, stream: string, opts: { from: string; limit: string }) => {
        const from = parseNonNegative(opts.from, '--from');
        const limit = Number(parseNonNegative(opts.limit, '--limit'));
        const { eventStore } = await ctx.rewind();
        const events = [];
        for await (const e of eventStore.readStream(stream, { fromRevision: from, maxCount: limit })) {
          events.push(e);
          if (events.length >= limit) break;
        }
        ctx.out.data({ stream, events });
        ctx.out.line(
          table(
            [
              ['REV', 'TYPE', 'POSITION', 'RECORDED', 'DATA'],
              ...events.map((e) => [
                String(e.revision),
                e.type,
                serializePosition(e.position),
                e.recordedAt.toISOString(),
                show(e.data),
              ]),
            ],
            ctx.out.colors.bold,
          ),
        );
      }),
    );
}
