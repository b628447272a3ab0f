import type { EventFilter } from '@rewind/core';
import { FilterDensity, type LogAccess, type LogRow, type LogStatements } from './logStatements';
import type { EventRow } from './statements';

/**
 * Where a forward read of `$all` stands: strictly after `after`, at most `remaining` more events, and
 * how its next filtered page reads (see {@link FilterDensity}).
 */
export interface LogCursorState {
  readonly after: number;
  readonly remaining: number;
  readonly access: LogAccess;
}

/**
 * The forward page loop over `$all`, in one place for both readers of it: `readAllPages` on the
 * caller's thread and the read-ahead worker on its own connection. Each page is bounded by the head as
 * it is when the page is read, and, with a filter, by a window of positions, so a sparse filter costs
 * one index range per page (see {@link LogStatements}).
 */
export class ForwardLogCursor<Row extends LogRow = EventRow> {
  private after: number;
  private remaining: number;
  private readonly density: FilterDensity;

  constructor(
    private readonly log: LogStatements<Row>,
    private readonly head: () => number,
    private readonly filter: EventFilter | undefined,
    private readonly pageSize: number,
    /** Positions scanned per page with a filter (unfiltered reads are bounded by the head only). */
    private readonly window: number,
    start: LogCursorState,
  ) {
    this.after = start.after;
    this.remaining = start.remaining;
    this.density = new FilterDensity(start.access);
  }

  /** Where the next page starts. */
  get state(): LogCursorState {
    return { after: this.after, remaining: this.remaining, access: this.density.access };
  }

  /**
   * The next non-empty page of at most `rows` rows (default and most: the page size), or undefined once
   * the head (or `remaining`) is reached.
   */
  next(rows = this.pageSize): Row[] | undefined {
    const most = Math.max(1, Math.min(rows, this.pageSize));
    while (this.remaining > 0) {
      const head = this.head();
      if (this.after >= head) return undefined;
      const limit = Math.min(most, this.remaining);
      const upTo = Math.min(head, this.after + this.window);
      const page = this.log.forwards(this.after, upTo, this.filter, limit, this.density.access);
      this.remaining -= page.length;
      const after = page.length === limit ? page[page.length - 1]![0] : upTo;
      this.density.observe(page.length, after - this.after);
      this.after = after;
      if (page.length > 0) return page;
    }
    return undefined;
  }
}
