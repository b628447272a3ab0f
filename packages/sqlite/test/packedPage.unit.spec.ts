import Database from 'better-sqlite3';
import { decodeRows, fromPackedPage } from '../src/eventStore/eventPages';
import { LogStatements } from '../src/eventStore/logStatements';
import { packedRange, packedTransfer, packRows } from '../src/eventStore/packedPage';
import { migrate } from '../src/eventStore/schema';
import { PACKED_COLUMNS, type PackedRow } from '../src/eventStore/statements';

const meta = (n: number) => JSON.stringify({ schemaVersion: 1, correlationId: `corr-${n}`, custom: { n } });

interface StoredRow {
  readonly streamId?: string;
  readonly type?: string;
  readonly data: string;
  readonly metadata: string;
}

/**
 * A log in memory with the store's own schema, its rows written as given (texts a file changed
 * outside Rewind could hold included), read back both ways: as rows on the caller's thread, and as
 * the read-ahead worker reads and packs them (SQLite quotes and joins the texts).
 */
function logOf(rows: readonly StoredRow[]) {
  const db = new Database(':memory:');
  migrate(db, ':memory:');
  const insert = db.prepare(
    'INSERT INTO rewind_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  rows.forEach((row, i) =>
    insert.run(
      row.streamId ?? `stream-${(i + 1) % 3}`,
      i + 1,
      `id-${i + 1}`,
      row.type ?? 'thing.happened',
      row.data,
      row.metadata,
      1_700_000_000_001 + i,
    ),
  );
  const read = (access: 'index' | 'scan') =>
    new LogStatements(db).forwards(0, rows.length, undefined, 100, access);
  const packed = () =>
    packRows(
      new LogStatements<PackedRow>(db, PACKED_COLUMNS).forwards(0, rows.length, undefined, 100, 'index'),
    );
  return { rows: read('index'), packed, close: () => db.close() };
}

describe('packed pages (the read-ahead worker hands pages over as bytes)', () => {
  const stored: StoredRow[] = [
    { data: '{"a":1,"nested":{"b":[1,2]}}', metadata: meta(1) },
    { data: '{"text":"é ✓ \\" ,]"}', metadata: meta(1) },
    { data: '{"a":3}', metadata: meta(2) },
    { data: '"not an object"', metadata: meta(1) },
  ];

  it('decodes to exactly what decoding the rows gives, metadata shared and frozen per append', () => {
    const log = logOf(stored);
    const events = fromPackedPage(log.packed());
    expect(events).toEqual(decodeRows(log.rows).events);
    expect(events[0]!.metadata).toBe(events[1]!.metadata);
    expect(events[1]!.metadata).not.toBe(events[3]!.metadata);
    expect(Object.isFrozen(events[0]!.metadata)).toBe(true);
    expect(Object.isFrozen(events[0]!.metadata['custom'])).toBe(true);
    log.close();
  });

  it('gives stream ids and types exactly as stored, whatever characters they hold', () => {
    const names = [
      'quote"d',
      'back\\slash',
      'tab\tnew\nline\r\u0001\u001f',
      'unicode é ✓ 日本 😀',
      'separators \u2028 \u2029',
      '],[{"not":"json"}',
      '',
    ];
    const log = logOf(
      names.map((name) => ({ streamId: `s-${name}`, type: `t.${name}`, data: '{}', metadata: meta(1) })),
    );
    const events = fromPackedPage(log.packed());
    expect(events.map((e) => e.streamId)).toEqual(names.map((name) => `s-${name}`));
    expect(events.map((e) => e.type)).toEqual(names.map((name) => `t.${name}`));
    expect(events).toEqual(decodeRows(log.rows).events);
    log.close();
  });

  it('decodes plain objects, as every store hands out (not instances of a class)', () => {
    const log = logOf(stored);
    const [event] = fromPackedPage(log.packed());
    const [fromRows] = decodeRows(log.rows).events;
    for (const each of [event, fromRows]) expect(Object.getPrototypeOf(each)).toBe(Object.prototype);
    expect(event).toStrictEqual({
      id: 'id-1',
      streamId: 'stream-1',
      revision: 1n,
      position: { commit: 1n, prepare: 1n },
      type: 'thing.happened',
      data: { a: 1, nested: { b: [1, 2] } },
      metadata: { schemaVersion: 1, correlationId: 'corr-1', custom: { n: 1 } },
      recordedAt: new Date(1_700_000_000_001),
    });
    log.close();
  });

  it('holds its texts as bytes to transfer, not strings', () => {
    const log = logOf(stored);
    const page = log.packed();
    expect(page.text).toBeInstanceOf(Uint8Array);
    expect(packedTransfer(page)).toEqual([page.text.buffer, page.numbers.buffer]);
    expect(packedRange(page)).toEqual({ first: 1, last: 4 });
    log.close();
  });

  it.each<[string, StoredRow[]]>([
    [
      'a payload that is two JSON values',
      [
        { data: '1,2', metadata: meta(1) },
        { data: '{}', metadata: meta(1) },
      ],
    ],
    ['a payload that makes three values of its row', [{ data: '1,"a","b"', metadata: meta(1) }]],
    [
      'metadata that is two JSON values',
      [
        { data: '{}', metadata: '{},{}' },
        { data: '{}', metadata: meta(2) },
      ],
    ],
    ['metadata that is not an object', [{ data: '{}', metadata: '"text"' }]],
    [
      'a payload that closes the array early',
      [
        { data: '1],[2', metadata: meta(1) },
        { data: '{}', metadata: meta(1) },
      ],
    ],
    ['a payload that is not JSON', [{ data: '{', metadata: meta(1) }]],
  ])('throws, rather than shift values, on %s', (_, bad) => {
    const log = logOf(bad);
    expect(() => fromPackedPage(log.packed())).toThrow(SyntaxError);
    log.close();
  });
});
