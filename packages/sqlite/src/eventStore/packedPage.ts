import type { PackedRow } from './statements';

/**
 * A page as the read-ahead worker posts it: two buffers, both transferred, nothing copied into either
 * JavaScript heap on the way.
 * - `text`: UTF-8 bytes of one JSON text `[[stream id, event id, type, payload, …],[metadata, …]]`:
 *   SQLite quotes the strings and joins them with the stored payload, which is JSON already, into one
 *   text per row (see `PACKED_COLUMNS`); metadata texts are JSON too and go as they are, consecutive
 *   repeats of one (one append) sent once;
 * - `numbers`: per row position, revision, recorded time and index into the metadata.
 *
 * Bytes rather than strings: a posted string is copied into the reader's heap when it arrives and
 * waits there, behind the pages before it, long enough to be promoted to the old generation, where it
 * dies. Pages held as bytes stay outside the heap until the reader decodes them (see
 * `fromPackedPage`), which keeps the reader's old generation, and so the process's peak memory, small.
 */
export interface PackedPage {
  readonly text: Uint8Array;
  readonly numbers: Float64Array;
}

const encoder = new TextEncoder();

/** Packs rows read with `PACKED_COLUMNS` for posting (see {@link PackedPage}). */
export function packRows(rows: readonly PackedRow[]): PackedPage {
  const n = rows.length;
  const numbers = new Float64Array(n * 4);
  const texts = new Array<string>(n);
  const metadata: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (row[4] !== previous) metadata.push((previous = row[4]));
    numbers[i * 4] = row[0];
    numbers[i * 4 + 1] = row[1];
    numbers[i * 4 + 2] = row[2];
    numbers[i * 4 + 3] = metadata.length - 1;
    texts[i] = row[3];
  }
  return { text: encoder.encode(`[[${texts.join(',')}],[${metadata.join(',')}]]`), numbers };
}

/** The buffers a packed page hands over when it is posted. */
export function packedTransfer(page: PackedPage): ArrayBuffer[] {
  return [page.text.buffer as ArrayBuffer, page.numbers.buffer as ArrayBuffer];
}

/** The first and last position of a packed page. */
export function packedRange(page: PackedPage): { first: number; last: number } {
  return { first: page.numbers[0]!, last: page.numbers[page.numbers.length - 4]! };
}
