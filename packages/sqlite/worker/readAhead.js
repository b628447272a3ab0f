// Read-ahead for SqliteEventStore.readAllPages: runs in a worker thread with its own read-only
// connection and keeps the next pages of a long forward read of $all ready, so the thread that
// applies events does not also step SQLite and build rows. It runs the page loop of readAllPages
// exactly (same SQL, same bounds, same order) and posts each page packed for a cheap hand-over (see
// `pack`); the main thread turns it into events. Flow control: it never has more than `depth` pages
// posted and not yet taken.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const { path, sql, types, prefixes, pageSize, window, depth } = workerData;
let after = workerData.after;
let remaining = workerData.remaining;
let credits = depth;
let finished = false;

let db;
let head;
let page;
try {
  db = new Database(path, { readonly: true, fileMustExist: true });
  head = db.prepare('SELECT MAX(position) FROM rewind_events').pluck(true);
  page = db.prepare(sql).raw(true);
} catch (error) {
  fail(error);
}

function fail(error) {
  finished = true;
  parentPort.postMessage({ error: { message: String(error && error.message), code: error && error.code } });
}

function params(lower, upper, limit) {
  const out = [lower, upper, ...types];
  for (const prefix of prefixes) out.push(prefix, prefix);
  out.push(limit);
  return out;
}

function pump() {
  try {
    while (!finished && credits > 0) {
      const last = head.get() ?? 0;
      if (remaining <= 0 || after >= last) {
        finished = true;
        parentPort.postMessage({ done: true });
        return;
      }
      const limit = Math.min(pageSize, remaining);
      const upTo = Math.min(last, after + window);
      const rows = page.all(...params(after, upTo, limit));
      remaining -= rows.length;
      after = rows.length === limit ? rows[rows.length - 1][0] : upTo;
      if (rows.length > 0) {
        credits--;
        const packed = pack(rows);
        parentPort.postMessage(packed, [packed.numbers.buffer]);
      }
    }
  } catch (error) {
    fail(error);
  }
}

/**
 * A page as few values as possible, so posting it is a copy of two strings and a transfer:
 * - `data`: the payloads as one JSON array text (each stored payload is JSON text already);
 * - `strings`: stream ids, then event ids, then types, as one JSON array text;
 * - `metadata`: the distinct metadata texts, consecutive repeats (one append) sent once;
 * - `numbers`: per row position, revision, recorded time and index into `metadata`.
 */
function pack(rows) {
  const n = rows.length;
  const numbers = new Float64Array(n * 4);
  const strings = new Array(n * 3);
  const data = new Array(n);
  const metadata = [];
  let previous;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row[6] !== previous) metadata.push((previous = row[6]));
    numbers[i * 4] = row[0];
    numbers[i * 4 + 1] = row[2];
    numbers[i * 4 + 2] = row[7];
    numbers[i * 4 + 3] = metadata.length - 1;
    strings[i] = row[1];
    strings[n + i] = row[3];
    strings[2 * n + i] = row[4];
    data[i] = row[5];
  }
  return { data: `[${data.join(',')}]`, strings: JSON.stringify(strings), metadata, numbers };
}

parentPort.on('message', (message) => {
  if (message === 'more') {
    credits++;
    pump();
  }
});
if (!finished) pump();
