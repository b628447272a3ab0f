import type { EventRow } from './statements';

/**
 * A page as the read-ahead worker posts it, as few values as possible so posting is a copy of two
 * strings and a transfer:
 * - `data`: the payloads as one JSON array text (each stored payload is JSON text already);
 * - `strings`: stream ids, then event ids, then types, as one JSON array text;
 * - `metadata`: the distinct metadata texts, consecutive repeats (one append) sent once;
 * - `numbers`: per row position, revision, recorded time and index into `metadata`.
 */
export interface PackedPage {
  readonly data: string;
  readonly strings: string;
  readonly metadata: readonly string[];
  readonly numbers: Float64Array;
}

/** Packs rows for posting (see {@link PackedPage}). */
export function packRows(rows: readonly EventRow[]): PackedPage {
  const n = rows.length;
  const numbers = new Float64Array(n * 4);
  const strings = new Array<string>(n * 3);
  const data = new Array<string>(n);
  const metadata: string[] = [];
  let previous: string | undefined;
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
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

/** The first and last position of a packed page. */
export function packedRange(page: PackedPage): { first: number; last: number } {
  return { first: page.numbers[0]!, last: page.numbers[page.numbers.length - 4]! };
}
