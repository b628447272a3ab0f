import { describe, expect, it } from '@jest/globals';
import { cloneJson, jsonCopy } from '../src';

const viaText = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe('jsonCopy', () => {
  it('gives what a round trip through JSON text gives', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return { cents: this.cents, currency: 'EUR' };
      }
    }
    const samples: unknown[] = [
      { a: 1, b: 'x', c: true, d: null, nested: { list: [1, 'two', { three: 3 }] } },
      { dropped: undefined, fn: () => 1, sym: Symbol('s'), kept: 0 },
      [undefined, () => 1, Symbol('s'), NaN, Infinity, -Infinity, -0, 1.5],
      {
        at: new Date('2026-11-30T12:00:00Z'),
        money: new Money(250),
        boxed: [new Number(1), new String('s'), new Boolean(false)],
      },
      { map: new Map([['a', 1]]), set: new Set([1]) },
      JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as unknown,
      { deep: { deeper: { deepest: [[[]]] } } },
    ];
    for (const sample of samples) expect(jsonCopy(sample)).toStrictEqual(viaText(sample));
    const proto = jsonCopy(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('throws what JSON.stringify throws: bigints and cycles', () => {
    expect(() => jsonCopy({ n: 1n })).toThrow(TypeError);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(() => jsonCopy(cycle)).toThrow(TypeError);
    expect(() => jsonCopy(cycle)).toThrow(/circular/i);
  });

  it('copies: later changes to the original do not reach the copy', () => {
    const original = { list: [1, 2], inner: { n: 1 } };
    const copied = jsonCopy(original) as typeof original;
    original.list.push(3);
    original.inner.n = 2;
    expect(copied).toEqual({ list: [1, 2], inner: { n: 1 } });
  });
});

describe('cloneJson', () => {
  it('makes a fresh deep copy that can be changed without touching the source', () => {
    const source = JSON.parse('{"a": {"b": [1, {"c": 2}]}, "__proto__": {"x": 1}}') as {
      a: { b: [number, { c: number }] };
    };
    const clone = cloneJson(source);
    expect(clone).toStrictEqual(source);
    clone.a.b[1].c = 3;
    expect(source.a.b[1].c).toBe(2);
    expect(Object.keys(clone)).toEqual(['a', '__proto__']);
    // A field named __proto__ is copied as a field too, not shared and not made the prototype.
    const field = (o: object) => Object.getOwnPropertyDescriptor(o, '__proto__')!.value as { x: number };
    expect(field(clone)).not.toBe(field(source));
    expect(field(clone)).toStrictEqual({ x: 1 });
    expect(Object.getPrototypeOf(clone)).toBe(Object.prototype);
  });
});
