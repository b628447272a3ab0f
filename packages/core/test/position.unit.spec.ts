import {
  isPosition,
  parsePosition,
  sequencePosition,
  serializePosition,
  tryParsePosition,
  ValidationError,
} from '@rewind/core';

describe('Position text form', () => {
  it.each([
    [sequencePosition(42), '42'],
    [{ commit: 1024n, prepare: 1020n }, '1024/1020'],
    [sequencePosition(0), '0'],
    [{ commit: 2n ** 64n, prepare: 2n ** 64n - 7n }, '18446744073709551616/18446744073709551609'],
  ])('writes %p as %p and reads it back exactly', (position, text) => {
    expect(serializePosition(position)).toBe(text);
    expect(parsePosition(text)).toEqual(position);
    expect(tryParsePosition(text)).toEqual(position);
  });

  it.each(['', 'soon', '-1', '1.5', '12/', '/12', '1/2/3', '2026-05-01', '[object Object]'])(
    'refuses %p: undefined from tryParsePosition, a ValidationError naming both forms from parsePosition',
    (text) => {
      expect(tryParsePosition(text)).toBeUndefined();
      expect(() => parsePosition(text)).toThrow(ValidationError);
      expect(() => parsePosition(text)).toThrow(/use a number such as "42" or "commit\/prepare"/);
    },
  );

  it('tells a position from other values', () => {
    expect(isPosition(sequencePosition(3))).toBe(true);
    expect(isPosition({ commit: 3, prepare: 3 })).toBe(false);
    expect(isPosition({ commit: 3n, prepare: 3n, extra: 1 })).toBe(false);
    expect(isPosition(null)).toBe(false);
  });
});
