import { palette } from '../src/output/color';
import { formatChanges, formatPath, show, table, toPlain } from '../src/output/format';
import { formatEta } from '../src/output/progress';
import { formatLag } from '../src/commands/projectionActions';

describe('output formatting', () => {
  describe('formatChanges', () => {
    it('writes created, removed and changed fields as +, - and ~ lines', () => {
      expect(
        formatChanges([
          { type: 'CREATE', path: ['items', 0], value: 'bar' },
          { type: 'REMOVE', path: ['coupon'], oldValue: 'X' },
          { type: 'CHANGE', path: ['status'], oldValue: 'placed', value: 'paid' },
          { type: 'CHANGE', path: ['customer', 'address', 'city'], oldValue: 'Busan', value: 'Seoul' },
          { type: 'CHANGE', path: ['paid'], oldValue: 0n, value: 10n },
        ]),
      ).toEqual([
        '+ items[0]: "bar"',
        '- coupon',
        '~ status: "placed" → "paid"',
        '~ customer.address.city: "Busan" → "Seoul"',
        '~ paid: "0" → "10"',
      ]);
    });

    it('colors lines only when asked', () => {
      const [line] = formatChanges([{ type: 'CREATE', path: ['a'], value: 1 }], palette(true));
      expect(line).toBe('\x1b[32m+ a: 1\x1b[39m');
    });
  });

  it('joins paths with dots and indexes', () => {
    expect(formatPath(['lines', 2, 'qty'])).toBe('lines[2].qty');
  });

  it('makes bigints, dates, positions and maps JSON-safe', () => {
    expect(
      toPlain({
        n: 5n,
        at: new Date('2026-05-01T12:00:00Z'),
        position: { commit: 10n, prepare: 8n },
        dense: { commit: 3n, prepare: 3n },
        map: new Map([['k', 1n]]),
      }),
    ).toEqual({ n: '5', at: '2026-05-01T12:00:00.000Z', position: '10/8', dense: '3', map: { k: '1' } });
    expect(show(undefined)).toBe('undefined');
  });

  it('aligns table columns and leaves no trailing spaces', () => {
    expect(
      table([
        ['NAME', 'REV'],
        ['order-o-1', '3'],
        ['a', '12'],
      ]),
    ).toBe('NAME       REV\norder-o-1  3\na          12');
  });
});

describe('formatLag', () => {
  it('says a lag in time briefly', () => {
    expect([0, 850, 12_400, 245_000, 7_380_000].map(formatLag)).toEqual([
      '0s',
      '850ms',
      '12s',
      '4m 05s',
      '2h 03m',
    ]);
  });
});

describe('formatEta', () => {
  it('writes seconds, minutes and hours, and - when unknown', () => {
    expect(formatEta(undefined)).toBe('-');
    expect(formatEta(41.2)).toBe('42s');
    expect(formatEta(185)).toBe('3m05s');
    expect(formatEta(3720)).toBe('1h02m');
  });
});
