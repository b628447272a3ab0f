// Read-ahead for SqliteEventStore.readAllPages, run in a worker thread with its own read-only
// connection: it keeps the next pages of a long forward read of $all ready, so the thread that applies
// events does not also step SQLite and build rows. It runs the same page loop as readAllPages
// (ForwardLogCursor, LogStatements) and posts each page packed for a cheap hand-over (packRows). Flow
// control: never more than `depth` pages posted and not yet taken.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EventFilter } from '@rewind/core';
import { ForwardLogCursor, type LogCursorState } from './logCursor';
import { LogStatements } from './logStatements';
import { packedTransfer, packRows } from './packedPage';
import { HEAD_SQL } from './statements';

/** What the event store passes to the worker. */
export interface ReadAheadWorkerData extends LogCursorState {
  readonly path: string;
  readonly filter: EventFilter | undefined;
  readonly pageSize: number;
  readonly window: number;
  /** Pages posted ahead of the reader. */
  readonly depth: number;
  /** Where pages, the end and errors go; the reader pulls from it (see SqliteEventStore.readAhead). */
  readonly pages: MessagePort;
}

const port = parentPort!;
const data = workerData as ReadAheadWorkerData;
const pages = data.pages;

/** Sends to the reader: on its channel, then a nudge that wakes it if it waits. */
function post(message: unknown, transfer: ArrayBuffer[] = []): void {
  pages.postMessage(message, transfer);
  port.postMessage(0);
}
let credits = data.depth;
let finished = false;
let cursor: ForwardLogCursor | undefined;

function fail(error: unknown): void {
  finished = true;
  const { message, code } = (error ?? {}) as { message?: string; code?: string };
  post({ error: { message: String(message ?? error), code } });
}

function pump(): void {
  try {
    while (!finished && credits > 0) {
      const rows = cursor!.next();
      if (!rows) {
        finished = true;
        post({ done: true });
        return;
      }
      credits--;
      const packed = packRows(rows);
      post(packed, packedTransfer(packed));
    }
  } catch (error) {
    fail(error);
  }
}

try {
  const db = new Database(data.path, { readonly: true, fileMustExist: true });
  // A forward read visits each page once: SQLite's default 2 MB page cache buys it nothing, and on
  // this thread's own malloc arena it cost the process ~15 MB of peak RSS in the 1M-event bench.
  db.pragma('cache_size = -256');
  const head = db.prepare<[], number | null>(HEAD_SQL).pluck(true);
  cursor = new ForwardLogCursor(
    new LogStatements(db),
    () => head.get() ?? 0,
    data.filter,
    data.pageSize,
    data.window,
    data,
  );
} catch (error) {
  fail(error);
}
port.on('message', (message) => {
  if (message === 'more') {
    credits++;
    pump();
  }
});
pump();
