import { closestNames, levenshtein } from '@rewind/core';
import { suggestion } from '../src/util/suggest';

describe('closest-name suggestions', () => {
  it('measures edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('order', 'order')).toBe(0);
  });

  it('suggests close names nearest first, case-insensitively', () => {
    expect(closestNames('ordr', ['payment', 'order', 'orders'])).toEqual(['order', 'orders']);
    expect(closestNames('Order-Summary', ['customer-revenue', 'order-summary'])).toEqual(['order-summary']);
  });

  it('falls back to the single nearest name when none is close', () => {
    expect(closestNames('zzzzzzzz', ['order', 'payment'])).toEqual(['order']);
  });

  it('says when nothing is registered', () => {
    expect(suggestion('x', [], 'projection')).toBe('No projections are registered in the config.');
    expect(suggestion('ordr', ['order'], 'aggregate')).toBe('Did you mean "order"? Known aggregates: order.');
  });
});
