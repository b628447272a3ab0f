// The bodies of `travel`, `history` and `bisect` (registered in aggregateCommands.ts).
import { aggregateState, serializePosition, type AggregateRoot, type HistoryEntry } from '@rewind/core';
import { compilePredicate } from '../expressions/stateExpression';
import { formatChanges, show, type StateChange } from '../output/format';
import { CliError, EXIT } from '../util/cliError';
import { parseNonNegative, parseTime } from '../util/parseInput';
import { suggestion } from '../util/suggest';
import type { CliContext } from '../context';

function stateLines(state: Record<string, unknown>): string[] {
  return Object.entries(state).map(([key, value]) => `  ${key}: ${show(value)}`);
}

/** One history entry as `rewind history --json` and Rewind Studio give it (before `toPlain`). */
export function eventSummary(entry: HistoryEntry): Record<string, unknown> {
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

/** Where {@link stateAt} stops: a revision, a recorded (or, with `businessTime`, business) time, or the end. */
export interface StatePoint {
  readonly revision?: bigint | undefined;
  readonly at?: Date | undefined;
  readonly businessTime?: boolean | undefined;
}

/**
 * An aggregate loaded as of a revision or a moment, and its state: what `rewind travel` prints and
 * Rewind Studio shows.
 * @throws CliError (not found) for an unknown aggregate; AggregateNotFoundError for an unknown id.
 */
export async function stateAt(
  ctx: CliContext,
  aggregate: string,
  id: string,
  point: StatePoint,
): Promise<{ loaded: AggregateRoot; state: Record<string, unknown> }> {
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  const { revision, at, businessTime } = point;
  const loaded = await repository.load(
    type,
    id,
    revision !== undefined ? { revision } : at ? (businessTime ? { occurredAt: at } : { at }) : {},
  );
  return { loaded, state: aggregateState(loaded) };
}

/**
 * The events of an aggregate from `from` to `to` (inclusive), each with the state after it and the
 * changes it made: what `rewind history` prints and Rewind Studio's timeline shows.
 * @throws CliError (not found) for an unknown aggregate; AggregateNotFoundError for an unknown id.
 */
export async function* historyEntries(
  ctx: CliContext,
  aggregate: string,
  id: string,
  range: { from?: bigint | undefined; to?: bigint | undefined } = {},
): AsyncGenerator<HistoryEntry> {
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  yield* repository.history(type, id, {
    ...(range.from !== undefined ? { fromRevision: range.from } : {}),
    ...(range.to !== undefined ? { toRevision: range.to } : {}),
  });
}

/**
 * The test `rewind bisect` runs: a safe expression (`where`) or a predicate named in the config.
 * @throws CliError (usage) unless exactly one is given; (not found) for an unknown predicate;
 * a CliError (usage) for an expression that does not parse.
 */
export function statePredicate(
  ctx: CliContext,
  opts: { where?: string | undefined; predicate?: string | undefined },
): (state: unknown) => boolean {
  if ((opts.where === undefined) === (opts.predicate === undefined)) {
    throw new CliError('Give exactly one of --where <expression> or --predicate <name>.', EXIT.usage);
  }
  if (opts.where !== undefined) return compilePredicate(opts.where);
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
  return (state) => named(state as Record<string, unknown>);
}

/**
 * The first entry of an aggregate's history whose state passes `test`, or undefined: what
 * `rewind bisect` finds.
 */
export async function firstHolding(
  ctx: CliContext,
  aggregate: string,
  id: string,
  test: (state: unknown) => boolean,
): Promise<HistoryEntry | undefined> {
  const type = await ctx.aggregate(aggregate);
  const { repository } = await ctx.rewind();
  return repository.bisect(type, id, (_aggregate, state) => test(state));
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
  const { loaded, state } = await stateAt(ctx, aggregate, id, {
    revision,
    at,
    businessTime: opts.businessTime,
  });
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
  const entries: unknown[] = [];
  const { colors } = ctx.out;
  for await (const entry of historyEntries(ctx, aggregate, id, { from, to })) {
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
  const test = statePredicate(ctx, opts);
  const found = await firstHolding(ctx, aggregate, id, test);
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
