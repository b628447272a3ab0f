import { randomUUID } from 'node:crypto';
import { StreamNotFoundError } from '../errors/errors';
import { AppendNotifier, catchUpSubscription } from './catchUpSubscription';
import type {
  AppendOptions,
  AppendResult,
  EventFilter,
  EventStore,
  EventToAppend,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamInfo,
  SubscribeToAllOptions,
  Subscription,
} from './eventStore';
import { sequencePosition, type Position } from './position';
import { decideAppend } from './idempotentAppend';
import { matchesFilter, validateAppend, validateStreamName } from './storeSupport';

const PAGE_SIZE = 512;

/** Options for {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** The clock used for recorded time (tests may pass a fake one). */
  readonly clock?: () => Date;
}

/**
 * An event store held in memory: for tests and quick experiments. Same semantics as the durable
 * stores (it passes the same contract suite); nothing survives the process.
 *
 * @example
 * const store = new InMemoryEventStore();
 * await store.append('order-1', [{ type: 'order.placed', data: {}, metadata }], { expectedRevision: 'no_stream' });
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly notifier = new AppendNotifier();
  private readonly clock: () => Date;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const expected = validateAppend(streamId, events, options);
    const stream = this.streams.get(streamId);
    const actual = stream ? BigInt(stream.length - 1) : undefined;
    const decision = decideAppend(
      streamId,
      expected,
      actual,
      events.map((event) => event.id),
      (from, to) => stream!.slice(Number(from), Number(to) + 1),
    );
    if (decision.kind === 'already-written') return decision.result;
    const target = stream ?? [];
    const recordedAt = this.clock();
    let last: RecordedEvent | undefined;
    let metadataIn: unknown;
    let metadataOut: RecordedEvent['metadata'] | undefined;
    for (const event of events) {
      // One copy on the way in, frozen: readers share it and can change nothing (see `frozenCopy`).
      // Events appended together usually carry one metadata object: it is copied once for them all.
      if (metadataOut === undefined || event.metadata !== metadataIn) {
        metadataIn = event.metadata;
        metadataOut = frozenCopy(event.metadata);
      }
      last = Object.freeze({
        id: event.id ?? randomUUID(),
        streamId,
        revision: BigInt(target.length),
        position: sequencePosition(this.log.length + 1),
        type: event.type,
        data: frozenCopy(event.data),
        metadata: metadataOut,
        recordedAt,
      });
      target.push(last);
      this.log.push(last);
    }
    this.streams.set(streamId, target);
    this.notifier.notify();
    return { nextExpectedRevision: last!.revision, position: last!.position };
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readStreamPages(streamId, options)) yield* page;
  }

  async *readStreamPages(
    streamId: string,
    options: ReadStreamOptions = {},
  ): AsyncIterable<readonly RecordedEvent[]> {
    validateStreamName(streamId, 'read');
    const stream = this.streams.get(streamId);
    if (!stream) throw new StreamNotFoundError(streamId);
    const backwards = options.direction === 'backwards';
    const last = stream.length - 1;
    let index = options.fromRevision === undefined ? (backwards ? last : 0) : Number(options.fromRevision);
    const bound = options.toRevision === undefined ? undefined : Number(options.toRevision);
    let remaining = options.maxCount ?? Infinity;
    const step = backwards ? -1 : 1;
    let page: RecordedEvent[] = [];
    for (; index >= 0 && index <= last && remaining > 0; index += step) {
      if (bound !== undefined && (backwards ? index < bound : index > bound)) break;
      const event = stream[index]!;
      if (options.until && event.recordedAt > options.until) {
        if (backwards) continue;
        break;
      }
      remaining--;
      page.push(event);
      if (page.length >= PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    for await (const page of this.readAllPages(options)) yield* page;
  }

  async *readAllPages(options: ReadAllOptions = {}): AsyncIterable<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    let remaining = options.maxCount ?? Infinity;
    let page: RecordedEvent[] = [];
    let i = backwards
      ? options.before
        ? Number(options.before.commit) - 2
        : this.log.length - 1
      : options.after
        ? Number(options.after.commit)
        : 0;
    // The log is read as it is when each page is taken: appends made while iterating are seen.
    for (; remaining > 0 && (backwards ? i >= 0 : i < this.log.length); backwards ? i-- : i++) {
      const event = this.log[i]!;
      if (!matchesFilter(event, options.filter)) continue;
      remaining--;
      page.push(event);
      if (page.length >= PAGE_SIZE) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): Subscription {
    return catchUpSubscription(
      {
        readPage: (after) => {
          const start = after ? Number(after.commit) : 0;
          const end = Math.min(start + PAGE_SIZE, this.log.length);
          const events: RecordedEvent[] = [];
          for (let i = start; i < end; i++) {
            const event = this.log[i]!;
            if (matchesFilter(event, options.filter)) events.push(event);
          }
          return {
            events,
            scannedTo: end > start ? this.log[end - 1]!.position : after,
            reachedHead: end === this.log.length,
          };
        },
        waitForAppend: (after, signal) =>
          this.log.length > (after ? Number(after.commit) : 0)
            ? Promise.resolve()
            : this.notifier.wait(signal),
      },
      options.after,
    );
  }

  async headPosition(): Promise<Position | undefined> {
    return this.log.at(-1)?.position;
  }

  async countEvents(options: { after?: Position; filter?: EventFilter } = {}): Promise<number> {
    let n = 0;
    for (let i = options.after ? Number(options.after.commit) : 0; i < this.log.length; i++) {
      if (matchesFilter(this.log[i]!, options.filter)) n++;
    }
    return n;
  }

  async *listStreams(options: { prefix?: string; limit?: number } = {}): AsyncIterable<StreamInfo> {
    let remaining = options.limit ?? Infinity;
    for (const [streamId, events] of [...this.streams].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (remaining <= 0) return;
      if (options.prefix && !streamId.startsWith(options.prefix)) continue;
      remaining--;
      yield { streamId, revision: BigInt(events.length - 1) };
    }
  }

  async close(): Promise<void> {
    this.notifier.notify();
  }
}

/**
 * A deep copy of appended data, frozen all the way down. Stored events are handed to every reader
 * as they are (no copy per read): freezing is what keeps a reader from changing the log for the
 * others — an assignment throws in strict code and is ignored otherwise.
 */
function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
