import { colorWanted } from '../src/output/color';

describe('colorWanted', () => {
  it('colours a terminal and not a pipe when neither variable is set', () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(false, {})).toBe(false);
  });

  it('turns colour off for a non-empty NO_COLOR, whatever its value', () => {
    expect(colorWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '0' })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: 'false' })).toBe(false);
  });

  it('ignores an empty NO_COLOR (no-color.org)', () => {
    expect(colorWanted(true, { NO_COLOR: '' })).toBe(true);
    expect(colorWanted(false, { NO_COLOR: '' })).toBe(false);
  });

  it('forces colour with a non-empty FORCE_COLOR other than 0, even on a pipe and over NO_COLOR', () => {
    for (const value of ['1', '2', '3', 'true'])
      expect(colorWanted(false, { FORCE_COLOR: value })).toBe(true);
    expect(colorWanted(false, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
  });

  it('turns colour off with FORCE_COLOR=0 (or false), even on a terminal', () => {
    expect(colorWanted(true, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorWanted(true, { FORCE_COLOR: 'false' })).toBe(false);
  });

  it('ignores an empty FORCE_COLOR', () => {
    expect(colorWanted(false, { FORCE_COLOR: '' })).toBe(false);
    expect(colorWanted(true, { FORCE_COLOR: '' })).toBe(true);
    expect(colorWanted(true, { FORCE_COLOR: '', NO_COLOR: '1' })).toBe(false);
  });
});
