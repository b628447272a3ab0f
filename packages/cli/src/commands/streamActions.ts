// The bodies of `streams list` and `streams read` (registered in streamCommands.ts).
import { serializePosition } from '@rewind/core';
import type { CliContext } from '../context';
import { show, table } from '../output/format';
import { parseNonNegative } from '../util/parseInput';

/** `rewind streams list`. */
export async function listStreams(
  ctx: CliContext,
  opts: { prefix?: string; limit: string },
): Promise<number | void> {
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
}

/** `rewind streams read <stream>`. */
export async function readStream(
  ctx: CliContext,
  stream: string,
  opts: { from: string; limit: string },
): Promise<number | void> {
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
}
