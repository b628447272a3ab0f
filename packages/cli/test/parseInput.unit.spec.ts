import { parseNonNegative, parsePositionOrTime, parseTime } from '../src/util/parseInput';
import { CliError } from '../src/util/cliError';

describe('input parsing', () => {
  describe('parseTime', () => {
    it.each([
      ['2026-05-01T12:00:00Z', '2026-05-01T12:00:00.000Z'],
      ['2026-05-01T12:00:00.250Z', '2026-05-01T12:00:00.250Z'],
      ['2026-05-01T14:00:00+02:00', '2026-05-01T12:00:00.000Z'],
      ['2026-05-01T12:00', '2026-05-01T12:00:00.000Z'],
      ['2026-05-01 12:00:00', '2026-05-01T12:00:00.000Z'],
      ['2026-05-01', '2026-05-01T00:00:00.000Z'],
      ['2028-02-29T23:59:59.999Z', '2028-02-29T23:59:59.999Z'],
      ['2026-05-01T12:00:00.123456789Z', '2026-05-01T12:00:00.123Z'],
      ['2026-05-01T00:30:00-0130', '2026-05-01T02:00:00.000Z'],
      ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ])('reads %s (no zone means UTC)', (text, iso) => {
      expect(parseTime(text).toISOString()).toBe(iso);
    });

    it.each([
      'yesterday',
      '2026-13-01T00:00:00Z',
      '2026-05-01T25:00:00Z',
      '1714564800',
      '',
      '2026-02-30',
      '2025-02-29',
      '2026-04-31T12:00:00Z',
      '2026-05-01T24:00:00Z',
      '2026-05-01T12:60:00Z',
      '2026-05-01T12:00:60Z',
      '2026-05-01T12:00:00+24:00',
      '2026-00-10',
    ])('rejects %p', (text) => {
      expect(() => parseTime(text, '--at')).toThrow(CliError);
      expect(() => parseTime(text, '--at')).toThrow(/--at ".*" is not a valid ISO 8601 time\. Use e\.g\./);
    });
  });

  it('parses non-negative integers only', () => {
    expect(parseNonNegative('12', '--revision')).toBe(12n);
    expect(() => parseNonNegative('-1', '--revision')).toThrow(
      /--revision "-1" is not a non-negative integer/,
    );
    expect(() => parseNonNegative('1.5', '--from')).toThrow(CliError);
  });

  it('tells positions from times', () => {
    expect(parsePositionOrTime('42', '--until')).toEqual({ commit: 42n, prepare: 42n });
    expect(parsePositionOrTime('1024/1020', '--until')).toEqual({ commit: 1024n, prepare: 1020n });
    expect(parsePositionOrTime('2026-05-01T12:00:00Z', '--until')).toEqual(new Date('2026-05-01T12:00:00Z'));
    expect(() => parsePositionOrTime('soon', '--until')).toThrow(/--until "soon" is neither a log position/);
  });
});
