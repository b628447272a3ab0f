import { decodeRows, fromPackedPage } from '../src/eventStore/eventPages';
import { packedRange, packedTransfer, packRows } from '../src/eventStore/packedPage';
import type { EventRow } from '../src/eventStore/statements';

const meta = (n: number) => JSON.stringify({ schemaVersion: 1, correlationId: `corr-${n}`, custom: { n } });

function row(position: number, data: string, metadata: string): EventRow {
  return [
    position,
    `stream-${position % 3}`,
    position,
    `id-${position}`,
    'thing.happened',
    data,
    metadata,
    1_700_000_000_000 + position,
  ];
}

describe('packed pages (the read-ahead worker hands pages over as bytes)', () => {
  const rows: EventRow[] = [
    row(1, '{"a":1,"nested":{"b":[1,2]}}', meta(1)),
    row(2, '{"text":"é ✓ \\" ,]"}', meta(1)),
    row(3, '{"a":3}', meta(2)),
    row(4, '"not an object"', meta(1)),
  ];

  it('decodes to exactly what decoding the rows gives, metadata shared and frozen per append', () => {
    const events = fromPackedPage(packRows(rows));
    expect(events).toEqual(decodeRows(rows).events);
    expect(events[0]!.metadata).toBe(events[1]!.metadata);
    expect(events[1]!.metadata).not.toBe(events[3]!.metadata);
    expect(Object.isFrozen(events[0]!.metadata)).toBe(true);
    expect(Object.isFrozen(events[0]!.metadata['custom'])).toBe(true);
  });

  it('decodes plain objects, as every store hands out (not instances of a class)', () => {
    const [event] = fromPackedPage(packRows(rows));
    const [fromRows] = decodeRows(rows).events;
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
  });

  it('holds its texts as bytes to transfer, not strings', () => {
    const page = packRows(rows);
    expect(page.text).toBeInstanceOf(Uint8Array);
    expect(packedTransfer(page)).toEqual([page.text.buffer, page.numbers.buffer]);
    expect(packedRange(page)).toEqual({ first: 1, last: 4 });
  });

  it.each([
    ['a payload that is two JSON values', [row(1, '1,2', meta(1)), row(2, '{}', meta(1))]],
    ['metadata that is two JSON values', [row(1, '{}', '{},{}'), row(2, '{}', meta(2))]],
    ['a payload that closes the array early', [row(1, '1],[2', meta(1)), row(2, '{}', meta(1))]],
    ['a payload that is not JSON', [row(1, '{', meta(1))]],
  ])('throws, rather than shift values, on %s', (_, bad) => {
    expect(() => fromPackedPage(packRows(bad))).toThrow(SyntaxError);
  });
});
