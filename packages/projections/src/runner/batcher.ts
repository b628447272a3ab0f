import { comparePositions, type Position, type RecordedEvent } from '@rewind/core';

/** Options for {@link Batcher}. */
export interface BatcherOptions {
  /** Most events per commit. */
  readonly batchSize: number;
  /** How long a live event waits for others to share its commit; also the pause in the stream that ends a batch while catching up. */
  readonly flushDelayMs: number;
  /** Least time between two commits that only move the checkpoint past events not handled here. */
  readonly checkpointIntervalMs: number;
  /** True while someone waits for the head (`waitForHead`): checkpoint-only commits are not held back. */
  readonly urgent: () => boolean;
  /** Commits a batch (possibly empty) and moves the checkpoint to `checkpoint`. */
  commit(events: readonly RecordedEvent[], checkpoint: Position): Promise<void>;
  /** A commit started by a timer failed: the consumer must stop reading (e.g. close its subscription). */
  onFailure(error: unknown): void;
}

/**
 * The flush policy of a live runner, in one place: what a subscription delivers goes in (`add`,
 * `advance`, `caughtUp`), commits come out, one at a time and in order.
 * - A full batch commits at once (and `add` waits for it: back-pressure).
 * - Caught up, an event waits at most `flushDelayMs` for others to share its commit; before that
 *   (still catching up), a batch commits when the stream pauses for `flushDelayMs` — so a server that
 *   never says "caught up" still gets its events applied.
 * - A checkpoint past events not handled here commits at most once per `checkpointIntervalMs`, unless
 *   someone waits for the head.
 */
export class Batcher {
  private events: RecordedEvent[] = [];
  private checkpoint: Position | undefined;
  /** The newest position taken in (event or checkpoint): the checkpoint never moves back from it. */
  private highest: Position | undefined;
  private live = false;
  private lastCommitAt = 0;
  private firstPendingAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private committing: Promise<void> = Promise.resolve();
  /** Commits started and not yet ended. */
  private inFlight = 0;
  private failure: { error: unknown } | undefined;

  constructor(private readonly options: BatcherOptions) {}

  /** Adds an event; commits at once when the batch is full. */
  async add(event: RecordedEvent): Promise<void> {
    this.rethrow();
    if (this.events.length === 0) this.firstPendingAt = Date.now();
    this.events.push(event);
    this.checkpoint = event.position;
    this.highest = event.position;
    if (this.events.length >= this.options.batchSize) await this.flush();
    else this.schedule();
  }

  /**
   * Everything up to `position` was seen: the checkpoint may move there (see the class). A position at
   * or before one already taken in is ignored (the checkpoint never moves back).
   */
  async advance(position: Position): Promise<void> {
    this.rethrow();
    if (this.highest && comparePositions(position, this.highest) <= 0) return;
    this.highest = position;
    this.checkpoint = position;
    this.schedule();
  }

  /** The subscription caught up: commits what is pending now; from here on, events are live. */
  async caughtUp(): Promise<void> {
    this.live = true;
    await this.flush();
  }

  /** Commits what is pending now (someone waits for it). */
  flushSoon(): void {
    if (this.checkpoint) this.arm(Date.now());
  }

  /** Commits what is pending and waits for every commit. */
  async flush(): Promise<void> {
    this.disarm();
    const checkpoint = this.checkpoint;
    if (checkpoint) {
      const events = this.events;
      this.events = [];
      this.checkpoint = undefined;
      this.inFlight++;
      this.committing = this.committing.then(async () => {
        this.rethrow();
        try {
          await this.options.commit(events, checkpoint);
          this.lastCommitAt = Date.now();
        } catch (error) {
          this.failure ??= { error };
          throw error;
        } finally {
          this.inFlight--;
          // A checkpoint that came in meanwhile waits its interval from this commit's end.
          if (this.inFlight === 0 && this.checkpoint && !this.failure) this.schedule();
        }
      });
    }
    await this.committing;
    this.rethrow();
  }

  /** Ends: commits what is pending and rethrows a failed commit. */
  async close(): Promise<void> {
    await this.flush();
  }

  /** Ends without committing (the consumer failed). */
  discard(): void {
    this.disarm();
    this.events = [];
    this.checkpoint = undefined;
  }

  private schedule(): void {
    const { flushDelayMs, checkpointIntervalMs } = this.options;
    const now = Date.now();
    let at: number;
    if (this.events.length > 0) at = this.live ? this.firstPendingAt + flushDelayMs : now + flushDelayMs;
    else if (this.options.urgent()) at = now;
    // A checkpoint-only commit waits for the one in flight: its interval counts from that one's end.
    else if (this.inFlight > 0) return;
    else at = Math.max(now, this.lastCommitAt + checkpointIntervalMs);
    // While catching up, every new message pushes the deadline back (the stream has not paused).
    if (this.timer && !(this.events.length > 0 && !this.live) && this.timerAt <= at) return;
    this.arm(at);
  }

  private arm(at: number): void {
    this.disarm();
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush().catch((error: unknown) => this.options.onFailure(error));
      },
      Math.max(0, at - Date.now()),
    );
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}
