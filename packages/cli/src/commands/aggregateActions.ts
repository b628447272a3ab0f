// The bodies of `travel`, `history` and `bisect` (registered in aggregateCommands.ts).
import { aggregateState, serializePosition, type HistoryEntry } from '@rewind/core';
import { compilePredicate } from '../expressions/stateExpression';
import { formatChanges, show, type StateChange } from '../output/format';
import { CliError, EXIT } from '../util/cliError';
import { parseNonNegative, parseTime } from '../util/parseInput';
import { suggestion } from '../util/suggest';
import type { CliContext } from '../context';

function stateLines(state: Record<string, unknown>): string[] {
  return Object.entries(state).map(([key, value]) => `  ${key}: ${show(value)}`);
}

function eventSummary(entry: HistoryEntry): Record<string, unknown> {
  return {
    revision: entry.revision,
    type: entry.envelope.type,
    eventId: entry.envelope.id,
    position: entry.envelope.position,
    recordedAt: entry.envelope.recordedAt,
    occurredAt: entry.envelope.metadata.occurredAt,
    event: entry.envelope.event,
  };
}

/** `rewind travel`: the aggregate's state at a revision or a moment. */
export async function travel(
  ctx: CliContext,
  aggregate: string,
  id: string,
  opts: { revision?: string; at?: string; businessTime?: boolean },
): Promise<number | void> {
  if (opts.revision !== undefined && opts.at !== undefined) {
    throw new CliError('Give either --revision or --at, not both.', EXIT.usage);
  }
  if (opts.businessTime && opts.at === undefined) {
    throw new CliError('--business-time applies to --at; add --at <ISO time>.', EXIT.usage);
  }
  const revision = opts.revision === undefined ? undefined : parseNonNegative(opts.revision, '--revision');
  const at = opts.at === undefined ? undefined : parseTime(opts.at, '--at');
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  const loaded = await repository.load(
    type,
    id,
    revision !== undefined ? { revision } : at ? (opts.businessTime ? { occurredAt: at } : { at }) : {},
  );
  const state = aggregateState(loaded);
  ctx.out.data({ aggregate, id, revision: loaded.revision, state, ...ctx.reportSkippedEvents() });
  ctx.out.line(ctx.out.colors.bold(`${aggregate} ${id} at revision ${loaded.revision}`));
  for (const line of stateLines(state)) ctx.out.line(line);
}

/** `rewind history`: each event of an aggregate with the state change it caused. */
export async function history(
  ctx: CliContext,
  aggregate: string,
  id: string,
  opts: { from?: string; to?: string },
): Promise<number | void> {
  const from = opts.from === undefined ? undefined : parseNonNegative(opts.from, '--from');
  const to = opts.to === undefined ? undefined : parseNonNegative(opts.to, '--to');
  if (from !== undefined && to !== undefined && from > to) {
    throw new CliError(
      `--from ${from} is after --to ${to}: nothing lies between them. Give --from <= --to.`,
      EXIT.usage,
    );
  }
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  const entries: unknown[] = [];
  const { colors } = ctx.out;
  for await (const entry of repository.history(type, id, {
    ...(from !== undefined ? { fromRevision: from } : {}),
    ...(to !== undefined ? { toRevision: to } : {}),
  })) {
    entries.push({ ...eventSummary(entry), changes: entry.changes, state: entry.state });
    ctx.out.line(
      `${colors.bold(`#${entry.revision}`)} ${entry.envelope.type}  ${colors.dim(
        `${entry.envelope.recordedAt.toISOString()}  position ${serializePosition(entry.envelope.position)}`,
      )}`,
    );
    const lines = formatChanges(entry.changes as readonly StateChange[], colors);
    for (const line of lines.length ? lines : ['(no state change)']) ctx.out.line(`  ${line}`);
  }
  ctx.out.data({ aggregate, id, events: entries, ...ctx.reportSkippedEvents() });
}

/** `rewind bisect`: the first revision at which a condition holds (exit 4 when it never does). */
export async function bisect(
  ctx: CliContext,
  aggregate: string,
  id: string,
  opts: { where?: string; predicate?: string },
): Promise<number | void> {
  if ((opts.where === undefined) === (opts.predicate === undefined)) {
    throw new CliError('Give exactly one of --where <expression> or --predicate <name>.', EXIT.usage);
  }
  let test: (state: unknown) => boolean;
  if (opts.where !== undefined) test = compilePredicate(opts.where);
  else {
    const predicates = ctx.config.predicates ?? {};
    const named = Object.prototype.hasOwnProperty.call(predicates, opts.predicate!)
      ? predicates[opts.predicate!]
      : undefined;
    if (!named) {
      throw new CliError(
        `Unknown predicate "${opts.predicate}". ${suggestion(opts.predicate!, Object.keys(predicates), 'predicate')}`,
        EXIT.notFound,
      );
    }
    test = (state) => named(state as Record<string, unknown>);
  }
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  const found = await repository.bisect(type, id, (_aggregate, state) => test(state));
  const condition = opts.where ?? `predicate ${opts.predicate}`;
  const skipped = ctx.reportSkippedEvents();
  if (!found) {
    ctx.out.data({ aggregate, id, condition, found: false, ...skipped });
    ctx.out.line(`The condition (${condition}) never holds for ${aggregate} ${id}.`);
    return EXIT.notFound;
  }
  ctx.out.data({
    aggregate,
    id,
    condition,
    found: true,
    ...eventSummary(found),
    changes: found.changes,
    state: found.state,
    ...skipped,
  });
  const { colors } = ctx.out;
  ctx.out.line(
    `First holds at revision ${colors.bold(String(found.revision))}, caused by ${colors.bold(found.envelope.type)}`,
  );
  ctx.out.line(
    `  recorded ${found.envelope.recordedAt.toISOString()}, position ${serializePosition(found.envelope.position)}`,
  );
  ctx.out.line(`  event: ${show(found.envelope.event)}`);
  for (const line of formatChanges(found.changes as readonly StateChange[], colors))
    ctx.out.line(`  ${line}`);
  return EXIT.ok;
}
