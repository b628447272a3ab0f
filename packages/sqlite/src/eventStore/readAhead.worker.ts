// Read-ahead for SqliteEventStore.readAllPages, run in a worker thread with its own read-only
// connection: it keeps the next pages of a long forward read of $all ready, so the thread that applies
// events does not also step SQLite and build rows. It runs the same page loop as readAllPages
// (ForwardLogCursor, LogStatements) and posts each page packed for a cheap hand-over (packRows). Flow
// control: never more than `depth` pages posted and not yet given back as credits by the reader.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EventFilter } from '@rewind/core';
import { ForwardLogCursor, type LogCursorState } from './logCursor';
import { LogStatements } from './logStatements';
import { packedTransfer, packRows } from './packedPage';
import { HEAD_SQL, PACKED_COLUMNS, type PackedRow } from './statements';

/** What the event store passes to the worker. */
export interface ReadAheadWorkerData extends LogCursorState {
  readonly path: string;
  readonly filter: EventFilter | undefined;
  /** Most rows per page. */
  readonly pageSize: number;
  /** Bytes of packed text a page aims at: pages of large events hold fewer rows. */
  readonly pageBytes: number;
  readonly window: number;
  /** Pages posted ahead of the reader. */
  readonly depth: number;
  /** Where pages, the end and errors go; the reader pulls from it (see SqliteEventStore.readAhead). */
  readonly pages: MessagePort;
  /** `[1]` while the reader waits for a message: only then does a page need a nudge on `parentPort`. */
  readonly waiting: Int32Array;
}

const port = parentPort!;
const data = workerData as ReadAheadWorkerData;
const pages = data.pages;

/**
 * Sends to the reader on its channel, then a nudge on `parentPort` that wakes it: for a page only when
 * it waits (it flags that before it looks at the channel again, so a page is never missed); the end and
 * errors always.
 */
function post(message: unknown, transfer: ArrayBuffer[] = [], page = false): void {
  pages.postMessage(message, transfer);
  if (!page || Atomics.load(data.waiting, 0) === 1) port.postMessage(0);
}
let credits = data.depth;
let rowsPerPage = data.pageSize;
let finished = false;
let cursor: ForwardLogCursor<PackedRow> | undefined;

function fail(error: unknown): void {
  finished = true;
  const { message, code } = (error ?? {}) as { message?: string; code?: string };
  post({ error: { message: String(message ?? error), code } });
}

function pump(): void {
  try {
    while (!finished && credits > 0) {
      const rows = cursor!.next(rowsPerPage);
      if (!rows) {
        finished = true;
        post({ done: true });
        return;
      }
      credits--;
      const packed = packRows(rows);
      // Pages of about `pageBytes` of text: as many rows as the last page's rows averaged.
      rowsPerPage = Math.max(16, Math.round((data.pageBytes * rows.length) / packed.text.byteLength));
      post(packed, packedTransfer(packed), true);
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
    new LogStatements<PackedRow>(db, PACKED_COLUMNS),
    () => head.get() ?? 0,
    data.filter,
    data.pageSize,
    data.window,
    data,
  );
} catch (error) {
  fail(error);
}
// Credits: the number of pages the reader has taken since it last gave some back.
port.on('message', (taken: number) => {
  credits += taken;
  pump();
});
pump();
