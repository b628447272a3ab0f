import { CliError, EXIT } from '../util/cliError';

/** A parsed `--where` expression: a tree of comparisons on state paths. Never runs user code. */
export type Expression =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'path'; readonly segments: readonly string[] }
  | { readonly kind: 'not'; readonly operand: Expression }
  | {
      readonly kind: 'logical';
      readonly op: '&&' | '||';
      readonly left: Expression;
      readonly right: Expression;
    }
  | {
      readonly kind: 'compare';
      readonly op: CompareOp;
      readonly left: Expression;
      readonly right: Expression;
    };

type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';
type Token = {
  type: 'op' | 'ident' | 'string' | 'number';
  text: string;
  value?: string | number;
  at: number;
};

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const OPS = ['&&', '||', '==', '!=', '>=', '<=', '>', '<', '!', '(', ')', '.', '[', ']'];

function fail(source: string, at: number, what: string): never {
  throw new CliError(
    `Invalid --where expression at column ${at + 1}: ${what}.\n  ${source}\n  ${' '.repeat(at)}^\n` +
      `Use comparisons on state paths joined by && and ||, e.g. 'status == "paid" && total >= 10', ` +
      `'items.length > 2' or '!cancelled'. For anything else, add a named predicate to your config and use --predicate.`,
    EXIT.usage,
  );
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = '';
      let j = i + 1;
      for (; j < source.length && source[j] !== c; j++) {
        if (source[j] === '\\' && j + 1 < source.length) j++;
        value += source[j];
      }
      if (j >= source.length) fail(source, i, 'unterminated string');
      tokens.push({ type: 'string', text: source.slice(i, j + 1), value, at: i });
      i = j + 1;
      continue;
    }
    const number = /^-?\d+(\.\d+)?/.exec(source.slice(i));
    if (number && (c !== '-' || tokens.length === 0 || tokens[tokens.length - 1]!.type === 'op')) {
      tokens.push({ type: 'number', text: number[0], value: Number(number[0]), at: i });
      i += number[0].length;
      continue;
    }
    const ident = /^[A-Za-z_$][\w$]*/.exec(source.slice(i));
    if (ident) {
      tokens.push({ type: 'ident', text: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    const op = OPS.find((o) => source.startsWith(o, i));
    if (!op) fail(source, i, `unexpected character "${c}"`);
    tokens.push({ type: 'op', text: op, at: i });
    i += op.length;
  }
  return tokens;
}

/**
 * Parses a state expression. The grammar is closed: literals, paths, `!`, `&&`, `||`, comparisons,
 * parentheses; no calls, no assignments, no access to prototypes.
 * @throws CliError (usage) pointing at the offending column.
 */
export function parseExpression(source: string): Expression {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const at = (): number => peek()?.at ?? source.length;
  const isOp = (text: string): boolean => peek()?.type === 'op' && peek()!.text === text;
  const expect = (text: string): void => {
    if (!isOp(text)) fail(source, at(), `expected "${text}"`);
    pos++;
  };

  const primary = (): Expression => {
    const token = peek();
    if (!token) fail(source, at(), 'expected a value or a state path');
    if (isOp('(')) {
      pos++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (token.type === 'string' || token.type === 'number') {
      pos++;
      return { kind: 'literal', value: token.value! };
    }
    if (token.type === 'ident') {
      pos++;
      if (token.text === 'true' || token.text === 'false')
        return { kind: 'literal', value: token.text === 'true' };
      if (token.text === 'null') return { kind: 'literal', value: null };
      const segments = [token.text];
      for (;;) {
        if (isOp('.')) {
          pos++;
          const next = peek();
          if (next?.type !== 'ident') fail(source, at(), 'expected a field name after "."');
          segments.push(next.text);
          pos++;
        } else if (isOp('[')) {
          pos++;
          const index = peek();
          if (index?.type !== 'number' && index?.type !== 'string') fail(source, at(), 'expected an index');
          segments.push(String(index.value));
          pos++;
          expect(']');
        } else break;
      }
      const bad = segments.find((s) => FORBIDDEN.has(s));
      if (bad) fail(source, token.at, `"${bad}" is not a state field`);
      if (isOp('(')) fail(source, at(), 'function calls are not allowed');
      return { kind: 'path', segments };
    }
    fail(source, token.at, `unexpected "${token.text}"`);
  };
  const unary = (): Expression => {
    if (isOp('!')) {
      pos++;
      return { kind: 'not', operand: unary() };
    }
    return comparison();
  };
  const comparison = (): Expression => {
    const left = primary();
    const token = peek();
    if (token?.type === 'op' && ['==', '!=', '>', '>=', '<', '<='].includes(token.text)) {
      pos++;
      return { kind: 'compare', op: token.text as CompareOp, left, right: primary() };
    }
    return left;
  };
  const and = (): Expression => {
    let left = unary();
    while (isOp('&&')) {
      pos++;
      left = { kind: 'logical', op: '&&', left, right: unary() };
    }
    return left;
  };
  const or = (): Expression => {
    let left = and();
    while (isOp('||')) {
      pos++;
      left = { kind: 'logical', op: '||', left, right: and() };
    }
    return left;
  };

  if (tokens.length === 0) fail(source, 0, 'the expression is empty');
  const tree = or();
  if (pos < tokens.length) fail(source, at(), `unexpected "${peek()!.text}"`);
  return tree;
}

function readPath(state: unknown, segments: readonly string[]): unknown {
  let value: unknown = state;
  for (const segment of segments) {
    if (value === null || value === undefined) return undefined;
    if (segment === 'length' && (Array.isArray(value) || typeof value === 'string')) {
      value = value.length;
    } else if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else if (value instanceof Map) {
      value = value.get(segment);
    } else return undefined;
  }
  return value;
}

function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** Evaluates a parsed expression against a state object. Only reads own properties. */
export function evaluate(expression: Expression, state: unknown): unknown {
  switch (expression.kind) {
    case 'literal':
      return expression.value;
    case 'path':
      return normalize(readPath(state, expression.segments));
    case 'not':
      return !evaluate(expression.operand, state);
    case 'logical': {
      const left = Boolean(evaluate(expression.left, state));
      if (expression.op === '&&') return left && Boolean(evaluate(expression.right, state));
      return left || Boolean(evaluate(expression.right, state));
    }
    case 'compare': {
      const a = evaluate(expression.left, state);
      const b = evaluate(expression.right, state);
      if (expression.op === '==') return a === b || (a === undefined && b === null);
      if (expression.op === '!=') return !(a === b || (a === undefined && b === null));
      const comparable =
        (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
      if (!comparable) return false;
      const [x, y] = [a, b] as [number, number];
      if (expression.op === '>') return x > y;
      if (expression.op === '>=') return x >= y;
      if (expression.op === '<') return x < y;
      return x <= y;
    }
  }
}

/** Parses once, returns a predicate on state. @throws CliError for a malformed expression. */
export function compilePredicate(source: string): (state: unknown) => boolean {
  const tree = parseExpression(source);
  return (state) => Boolean(evaluate(tree, state));
}
