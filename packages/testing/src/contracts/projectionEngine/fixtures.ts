import { createRewind, DomainEvent, InMemoryEventStore, type EventStore } from '@rewind/core';
import { On, Projection, Reactor, type ProjectionContext, type ReactorContext } from '@rewind/projections';

// The events and processors the projection-engine contract drives. Names are prefixed so they never
// clash with an application's own.

/** Adds `by` to the counter `key`; a `poison` one throws while `behaviour.failOnPoison` is set. */
@DomainEvent('rewind-contract.counted')
export class Counted {
  constructor(
    readonly key: string,
    readonly by: number,
    readonly poison = false,
  ) {}
}

/** Names the counter `key`. */
@DomainEvent('rewind-contract.renamed')
export class Renamed {
  constructor(
    readonly key: string,
    readonly name: string,
  ) {}
}

/** An event no processor here handles. */
@DomainEvent('rewind-contract.noise')
export class Noise {
  constructor(readonly n: number) {}
}

/** Switches and observations shared by the fixtures; {@link resetFixtures} clears them. */
export const behaviour = {
  failOnPoison: false,
  seenReplay: [] as boolean[],
  /**
   * Called with the running count of events the tally projector applied (a test can "kill" there, or
   * make the handler wait: it awaits what this returns).
   */
  onTally: undefined as ((applied: number) => void | Promise<void>) | undefined,
  tallied: 0,
  /** While set, the slow reactor waits for it before its side effect. */
  reactorGate: undefined as Promise<void> | undefined,
};

/** Side effects of the reactors, with their idempotency keys. */
export const effects: Array<{ key: string; idempotencyKey: string; isReplay: boolean }> = [];

/** Clears {@link behaviour} and {@link effects}. */
export function resetFixtures(): void {
  behaviour.failOnPoison = false;
  behaviour.seenReplay.length = 0;
  behaviour.onTally = undefined;
  behaviour.tallied = 0;
  behaviour.reactorGate = undefined;
  effects.length = 0;
}

/** Counts per key with a read-modify-write, and how many events it applied to each. */
@Projection('counters', { version: 1, retries: 2, retryBackoffMs: 1, batchSize: 50 })
export class CounterProjection {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    behaviour.seenReplay.push(ctx.isReplay);
    if (event.poison && behaviour.failOnPoison) throw new Error(`poison ${event.key}`);
    const counters = ctx.collection<{ count: number; events: number; name?: string }>('counters');
    const current = await counters.get(event.key);
    await counters.put(event.key, {
      ...current,
      count: (current?.count ?? 0) + event.by,
      events: (current?.events ?? 0) + 1,
    });
  }

  @On(Renamed)
  async renamed(event: Renamed, ctx: ProjectionContext): Promise<void> {
    await ctx.collection('counters').patch(event.key, { name: event.name });
  }
}

/** Like {@link CounterProjection}, but stops (state `failed`) on an event that keeps failing. */
@Projection('strict-counters', { onError: 'stop', retries: 1, retryBackoffMs: 1 })
export class StrictCounterProjection {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    if (event.poison && behaviour.failOnPoison) throw new Error(`poison ${event.key}`);
    const current = await ctx.collection<{ count: number }>('counters').get(event.key);
    await ctx.collection('counters').put(event.key, { count: (current?.count ?? 0) + event.by });
  }
}

/** A sparse projector: handles renames only. */
@Projection('renames')
export class RenameProjection {
  @On(Renamed)
  async renamed(event: Renamed, ctx: ProjectionContext): Promise<void> {
    await ctx.collection('names').put(event.key, { name: event.name });
  }
}

/** Tallies in small batches (25), with a hook per event applied. */
@Projection('tally', { batchSize: 25, retries: 0, retryBackoffMs: 1 })
export class TallyProjection {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    await behaviour.onTally?.(++behaviour.tallied);
    const tallies = ctx.collection<{ count: number }>('tallies');
    const current = await tallies.get(event.key);
    await tallies.put(event.key, { count: (current?.count ?? 0) + event.by });
  }
}

/** A reactor: records a side effect per rename. */
@Reactor('notifier')
export class NotifierReactor {
  @On(Renamed)
  renamed(event: Renamed, ctx: ReactorContext): void {
    effects.push({ key: event.key, idempotencyKey: ctx.idempotencyKey, isReplay: ctx.isReplay });
  }
}

/** A reactor whose side effect waits for `behaviour.reactorGate` (a slow gateway call). */
@Reactor('slow-notifier')
export class SlowReactor {
  @On(Renamed)
  async renamed(event: Renamed, ctx: ReactorContext): Promise<void> {
    await behaviour.reactorGate;
    effects.push({ key: event.key, idempotencyKey: ctx.idempotencyKey, isReplay: ctx.isReplay });
  }
}

/** An application with the contract's events registered, and `append(stream, ...events)`. */
export function contractApp(eventStore: EventStore = new InMemoryEventStore()) {
  const rewind = createRewind({ eventStore, events: [Counted, Renamed, Noise] });
  const append = (stream: string, ...events: object[]) =>
    eventStore.append(
      stream,
      events.map((e) => rewind.events.serialize(e, { correlationId: 'c', causationId: 'c' })),
    );
  return { ...rewind, eventStore, append };
}

/** What {@link contractApp} returns. */
export type ContractApp = ReturnType<typeof contractApp>;

/** Writes one document per event, in big batches: a backlog to catch up quickly on every store. */
@Projection('bulk', { batchSize: 500 })
export class BulkProjection {
  @On(Counted)
  async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
    await ctx.collection('last').put(event.key, { by: event.by });
  }
}
