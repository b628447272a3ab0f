import type { EventStore, Position } from '@rewind/core';

/** Progress of a rebuild, reported throughout. */
export interface RebuildProgress {
  readonly projection: string;
  readonly namespace: string;
  readonly processed: number;
  readonly position: Position | undefined;
  readonly head: Position | undefined;
  readonly eventsPerSecond: number;
  /** Seconds left, when the store can count what remains. */
  readonly etaSeconds: number | undefined;
  readonly phase: 'building' | 'catching-up' | 'swapping' | 'done';
}

/** Shortest span over which a rate is worth quoting; below it the rate is taken since the start. */
const MIN_WINDOW_MS = 250;

/**
 * Keeps a rebuild's counters and reports them, at most every 200 ms (and always at phase changes):
 * events per second over the last three seconds (since the start while that is shorter than a quarter
 * of a second, so a small rebuild does not report 0 events/s), and an ETA from one count per pass of
 * what remains (counting is a scan on some stores).
 */
export class RebuildProgressReporter {
  processed = 0;
  position: Position | undefined;
  private readonly started = Date.now();
  private readonly window: Array<[number, number]> = [];
  private estimate: { remaining: number; processed: number } | undefined;
  private lastReport = 0;

  constructor(
    private readonly eventStore: EventStore,
    private readonly projection: string,
    private readonly namespace: string,
    private readonly eventTypes: readonly string[],
    private readonly onProgress: ((progress: RebuildProgress) => void) | undefined,
    from: Position | undefined,
  ) {
    this.position = from;
  }

  /** A batch was committed. */
  applied(count: number, position: Position): void {
    this.processed += count;
    this.position = position;
  }

  /** A new pass begins: what remains is counted again. */
  newPass(): void {
    this.estimate = undefined;
  }

  /** Events per second: over the recent window, or since the start when that is too short. */
  rate(now = Date.now()): number {
    const [t0, n0] = this.window[0] ?? [now, this.processed];
    if (now - t0 >= MIN_WINDOW_MS) return ((this.processed - n0) * 1000) / (now - t0);
    return (this.processed * 1000) / Math.max(1, now - this.started);
  }

  /** Reports, unless the last report was under 200 ms ago (`force` for phase changes). */
  async report(phase: RebuildProgress['phase'], head: Position | undefined, force = false): Promise<void> {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastReport < 200) return;
    this.lastReport = now;
    this.window.push([now, this.processed]);
    while (this.window.length > 2 && now - this.window[0]![0] > 3000) this.window.shift();
    const eventsPerSecond = phase === 'done' ? this.overallRate(now) : this.rate(now);
    let etaSeconds: number | undefined;
    if (this.eventStore.countEvents && eventsPerSecond > 0 && phase !== 'done') {
      this.estimate ??= {
        remaining: await this.eventStore.countEvents({
          ...(this.position ? { after: this.position } : {}),
          filter: { eventTypes: this.eventTypes },
        }),
        processed: this.processed,
      };
      etaSeconds =
        Math.max(0, this.estimate.remaining - (this.processed - this.estimate.processed)) / eventsPerSecond;
    }
    this.onProgress({
      projection: this.projection,
      namespace: this.namespace,
      processed: this.processed,
      position: this.position,
      head,
      eventsPerSecond,
      etaSeconds,
      phase,
    });
  }

  private overallRate(now: number): number {
    return (this.processed * 1000) / Math.max(1, now - this.started);
  }
}
