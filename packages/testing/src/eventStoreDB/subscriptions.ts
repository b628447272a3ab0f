import { ReadResp } from '@eventstore/db-client/generated/streams_pb';
import {
  compareLogPositions,
  type EventStoreDBLog,
  type LogPosition,
  type LogRecord,
} from './eventStoreDBLog';
import { exceptionError, status } from './protocol';
import type { ServerModeBehaviour } from './serverModes';

/**
 * Catch-up subscriptions, simulated synchronously over the in-memory log, following the server's
 * enumerators per mode (see serverModes.ts for the files). Catch-up reads pages as
 * `AllReader.ReadAllEventsForwardInternal` does (v24.10.4 AllReader.cs ~70-185): up to 32 matching
 * events (`ReadBatchSize`, Enumerator.cs:12) or `maxSearchWindow` considered events, `nextPos` =
 * `(post-position of the last considered record, 0)`, end of stream only when the page ran out of records
 * before it filled.
 */

/** `(-1, -1)`: "before the log" (`TFPos.HeadOfTf`). */
const HEAD: LogPosition = { commit: -1n, prepare: -1n };
const ULONG_MAX = 18_446_744_073_709_551_615n;
/** Enumerator.cs `ReadBatchSize`. */
const READ_BATCH_SIZE = 32;

/** Where a subscription writes. */
export interface SubscriptionOutput {
  write(resp: ReadResp): void;
  fail(error: Error): void;
  event(record: LogRecord): ReadResp;
}

/** What to subscribe to. */
export type SubscriptionTarget =
  | {
      readonly kind: 'all';
      readonly from: 'start' | 'end' | LogPosition;
      /** The filter of a filtered subscription (checkpoints), or undefined (no filter: no checkpoints). */
      readonly filter: ((record: LogRecord) => boolean) | undefined;
      readonly maxSearchWindow: number;
      readonly checkpointInterval: number;
    }
  | { readonly kind: 'stream'; readonly stream: string; readonly from: 'start' | 'end' | bigint };

interface Page {
  readonly events: LogRecord[];
  readonly considered: number;
  readonly currentPos: LogPosition;
  readonly nextPos: LogPosition;
  readonly isEnd: boolean;
}

function readPage(
  log: EventStoreDBLog,
  start: LogPosition,
  maxSearchWindow: number,
  filter: (record: LogRecord) => boolean,
): Page {
  const records = log.records;
  let i = records.findIndex((r) => compareLogPositions(r, start) >= 0);
  if (i < 0) i = records.length;
  const events: LogRecord[] = [];
  let considered = 0;
  let nextPos = start;
  let isEnd = false;
  while (events.length < READ_BATCH_SIZE && considered < maxSearchWindow) {
    const record = records[i];
    if (!record) {
      isEnd = true;
      break;
    }
    considered++;
    if (filter(record)) events.push(record);
    nextPos = { commit: record.postPosition, prepare: 0n };
    i++;
  }
  return { events, considered, currentPos: start, nextPos, isEnd };
}

const max = (a: LogPosition, b: LogPosition) => (compareLogPositions(a, b) >= 0 ? a : b);

/** A position as the server sends it: `Position.FromInt64` turns -1 into ulong.MaxValue. */
function wire(p: LogPosition): { commit: bigint; prepare: bigint } {
  return {
    commit: p.commit < 0n ? ULONG_MAX : p.commit,
    prepare: p.prepare < 0n ? ULONG_MAX : p.prepare,
  };
}

/** One running subscription. */
export class SimulatedSubscription {
  private live = false;
  private ended = false;
  /** Rewritten engine: the last event or checkpoint sent towards the client. */
  private checkpoint: LogPosition = HEAD;
  /** Rewritten engine: the last checkpoint sent, on the wire (the enumerator drops ones not after it). */
  private lastCheckpointSent: { commit: bigint; prepare: bigint } | undefined;
  /** Live checkpoint counter (SubscriptionsService `CheckpointIntervalCurrent`). */
  private liveCounter = 0;
  /** Stream subscriptions: the last revision sent. */
  private revision = -1n;

  constructor(
    private readonly log: EventStoreDBLog,
    private readonly mode: ServerModeBehaviour,
    private readonly target: SubscriptionTarget,
    private readonly out: SubscriptionOutput,
  ) {}

  /** Confirms, catches up and goes live. */
  start(): void {
    this.out.write(
      new ReadResp().setConfirmation(
        new ReadResp.SubscriptionConfirmation().setSubscriptionId(globalThis.crypto.randomUUID()),
      ),
    );
    if (this.target.kind === 'stream') return this.startStream(this.target);
    if (this.mode.engine === 'classic') return this.startClassic(this.target);
    return this.startRewritten(this.target);
  }

  /** Live records, in commit order. */
  onAppend(records: readonly LogRecord[]): void {
    if (!this.live || this.ended) return;
    for (const record of records) {
      if (this.ended) return;
      if (this.target.kind === 'stream') {
        if (record.streamId === this.target.stream && record.revision > this.revision) {
          this.revision = record.revision;
          this.out.write(this.out.event(record));
        }
        continue;
      }
      const filter = this.target.filter;
      const allowed = !filter || filter(record);
      // SubscriptionsService.ProcessEventCommited: event if allowed, then count every event.
      const items: ({ event: LogRecord } | { checkpoint: LogPosition })[] = [];
      if (allowed) items.push({ event: record });
      if (filter && ++this.liveCounter >= this.target.checkpointInterval) {
        this.liveCounter = 0;
        items.push({ checkpoint: record });
      }
      for (const item of items) {
        if (this.mode.engine === 'classic') {
          if ('event' in item) this.out.write(this.out.event(item.event));
          else this.writeCheckpoint(item.checkpoint);
          continue;
        }
        // Enumerator.AllSubscriptionFiltered.GoLive: skip what is not after the checkpoint.
        if ('event' in item) {
          if (compareLogPositions(item.event, this.checkpoint) <= 0) continue;
          this.out.write(this.out.event(item.event));
          this.checkpoint = item.event;
        } else {
          if (compareLogPositions(item.checkpoint, this.checkpoint) < 0) continue;
          this.sendCheckpoint(item.checkpoint);
          this.checkpoint = item.checkpoint;
        }
      }
    }
  }

  /**
   * What the server does when this subscription's live buffer dropped messages: the rewritten engine
   * goes back to catch-up (fell-behind where sent, a checkpoint, catch-up, caught-up again); the classic
   * one ends the call with ABORTED "Consumer too slow".
   */
  fallBehind(): void {
    if (!this.live || this.ended) return;
    if (this.mode.engine === 'classic') {
      this.ended = true;
      this.out.fail(
        exceptionError(
          status.ABORTED,
          '',
          'Operation timed out: Consumer too slow to handle event while live. Client resubscription required.',
        ),
      );
      return;
    }
    this.live = false;
    if (this.mode.fellBehindSent) this.out.write(new ReadResp().setFellBehind(new ReadResp.FellBehind()));
    if (this.target.kind === 'stream') return this.startStream(this.target, true);
    this.sendCheckpoint(this.checkpoint);
    this.catchUpRewritten(this.target);
    this.goLive();
  }

  /** Stops it (the call ended). */
  stop(): void {
    this.ended = true;
  }

  private goLive(): void {
    if (this.mode.caughtUp) this.out.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
    this.live = true;
  }

  private startStream(target: Extract<SubscriptionTarget, { kind: 'stream' }>, again = false): void {
    const records = this.log.stream(target.stream) ?? [];
    if (!again) {
      this.revision =
        target.from === 'end'
          ? (records[records.length - 1]?.revision ?? -1n)
          : target.from === 'start'
            ? -1n
            : target.from;
    }
    for (const record of records) {
      if (record.revision <= this.revision) continue;
      this.out.write(this.out.event(record));
      this.revision = record.revision;
    }
    this.goLive();
  }

  /** 22.10/23.10 (Grpc/Enumerators.AllSubscriptionFiltered.cs and AllSubscription.cs). */
  private startClassic(target: Extract<SubscriptionTarget, { kind: 'all' }>): void {
    if (target.from === 'end') return this.goLive();
    let start: LogPosition = { commit: 0n, prepare: 0n };
    if (target.from !== 'start') {
      // `Subscribe`: read one event from the position and start at the NextPos of that read.
      const from = target.from;
      const first = this.log.records.find((r) => compareLogPositions(r, from) >= 0);
      start = first ? { commit: first.postPosition, prepare: 0n } : from;
    }
    const filter = target.filter ?? (() => true);
    let counter = 0;
    for (;;) {
      const page = readPage(
        this.log,
        start,
        target.filter ? target.maxSearchWindow : READ_BATCH_SIZE,
        filter,
      );
      for (const event of page.events) this.out.write(this.out.event(event));
      if (!target.filter) {
        if (page.isEnd) break;
        start = page.nextPos;
        continue;
      }
      counter += page.considered;
      if (page.isEnd) break;
      if (counter >= target.checkpointInterval) {
        counter %= target.checkpointInterval;
        // The last event of the page, or the page's start when it sent none (issue #3989: prepare 0).
        this.writeCheckpoint(page.events[page.events.length - 1] ?? page.currentPos);
      }
      start = page.nextPos;
    }
    // GoLive: FilteredSubscribeToStream(..., checkpointIntervalCurrent: counter) carries the count over.
    this.liveCounter = counter;
    this.goLive();
  }

  /** 24.2+ (Enumerators/Enumerator.AllSubscriptionFiltered.cs `MainLoop`). */
  private startRewritten(target: Extract<SubscriptionTarget, { kind: 'all' }>): void {
    const lastLive = this.log.lastPosition;
    this.checkpoint = target.from === 'start' ? HEAD : target.from === 'end' ? lastLive : target.from;
    this.liveCounter = 0;
    if (compareLogPositions(this.checkpoint, lastLive) < 0) this.catchUpRewritten(target);
    this.goLive();
  }

  private catchUpRewritten(target: Extract<SubscriptionTarget, { kind: 'all' }>): void {
    const filter = target.filter ?? (() => true);
    const window = target.filter ? target.maxSearchWindow : READ_BATCH_SIZE;
    let counter = 0;
    let start = this.checkpoint.commit < 0n ? { commit: 0n, prepare: 0n } : this.checkpoint;
    for (;;) {
      const page = readPage(this.log, start, window, filter);
      for (const event of page.events) {
        if (compareLogPositions(event, this.checkpoint) <= 0) continue;
        this.out.write(this.out.event(event));
        this.checkpoint = event;
      }
      counter += page.considered;
      if (page.isEnd) {
        const end = this.mode.endOfCatchUpCheckpoint;
        const emptyPage = compareLogPositions(page.currentPos, page.nextPos) === 0;
        if (end === 'page-start' || (end === 'page-start-unless-empty' && !emptyPage)) {
          this.checkpoint = max(this.checkpoint, page.currentPos);
        }
        this.sendCheckpoint(this.checkpoint);
        return;
      }
      if (counter >= target.checkpointInterval) {
        counter %= target.checkpointInterval;
        this.checkpoint = max(this.checkpoint, page.currentPos);
        this.sendCheckpoint(this.checkpoint);
      }
      start = page.nextPos;
    }
  }

  /** Rewritten engine: `SendCheckpointToSubscription` plus `MoveNextAsync`'s "not after the last" drop. */
  private sendCheckpoint(position: LogPosition): void {
    if (this.target.kind !== 'all' || !this.target.filter) return;
    // The KDB-710 fix added a failsafe: never send "before the log".
    if (position.commit < 0n && this.mode.endOfCatchUpCheckpoint !== 'last-sent') return;
    const onWire = wire(position);
    const last = this.lastCheckpointSent;
    if (last && compareLogPositions(onWire, last) <= 0) return;
    this.lastCheckpointSent = onWire;
    this.writeCheckpoint(position);
  }

  private writeCheckpoint(position: LogPosition): void {
    const p = wire(position);
    this.out.write(
      new ReadResp().setCheckpoint(
        new ReadResp.Checkpoint()
          .setCommitPosition(p.commit.toString())
          .setPreparePosition(p.prepare.toString()),
      ),
    );
  }
}
