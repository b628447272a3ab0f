import type { EventFilter } from '@rewind/core';
import type { LogStatements } from './logStatements';
import type { EventRow } from './statements';

/** Where a forward read of `$all` stands: strictly after `after`, at most `remaining` more events. */
export interface LogCursorState {
  readonly after: number;
  readonly remaining: number;
}

/**
 * The forward page loop over `$all`, in one place for both readers of it: `readAllPages` on the
 * caller's thread and the read-ahead worker on its own connection. Each page is bounded by the head as
 * it is when the page is read, and, with a filter, by a window of positions, so a sparse filter costs
 * one index range per page (see {@link LogStatements}).
 */
export class ForwardLogCursor {
  private after: number;
  private remaining: number;

  constructor(
    private readonly log: LogStatements,
    private readonly head: () => number,
    private readonly filter: EventFilter | undefined,
    private readonly pageSize: number,
    /** Positions scanned per page with a filter (unfiltered reads are bounded by the head only). */
    private readonly window: number,
    start: LogCursorState,
  ) {
    this.after = start.after;
    this.remaining = start.remaining;
  }

  /** Where the next page starts. */
  get state(): LogCursorState {
    return { after: this.after, remaining: this.remaining };
  }

  /**
   * The next non-empty page of at most `rows` rows (default and most: the page size), or undefined once
   * the head (or `remaining`) is reached.
   */
  next(rows = this.pageSize): EventRow[] | undefined {
    const most = Math.max(1, Math.min(rows, this.pageSize));
    while (this.remaining > 0) {
      const head = this.head();
      if (this.after >= head) return undefined;
      const limit = Math.min(most, this.remaining);
      const upTo = Math.min(head, this.after + this.window);
      const page = this.log.forwards(this.after, upTo, this.filter, limit);
      this.remaining -= page.length;
      this.after = page.length === limit ? page[page.length - 1]![0] : upTo;
      if (page.length > 0) return page;
    }
    return undefined;
  }
}
