import { compilePredicate, evaluate, parseExpression } from '../src/expressions/stateExpression';
import { CliError } from '../src/util/cliError';

const state = {
  status: 'paid',
  total: 110,
  paid: 110n,
  cancelled: false,
  items: ['bar', 'gel'],
  customer: { name: 'alice', city: 'Seoul' },
  note: null,
};
const holds = (expression: string, on: unknown = state) => compilePredicate(expression)(on);

describe('state expressions', () => {
  describe('evaluation', () => {
    it.each([
      ['status == "paid"', true],
      ["status == 'placed'", false],
      ['status != "placed"', true],
      ['total >= 110 && total < 111', true],
      ['total > 110', false],
      ['paid == 110', true],
      ['items.length > 1', true],
      ['items[0] == "bar"', true],
      ['items.length == 3', false],
      ['customer.city == "Seoul"', true],
      ['!cancelled', true],
      ['!!cancelled', false],
      ['cancelled || total >= 100', true],
      ['(status == "placed" || status == "paid") && !cancelled', true],
      ['status == "placed" || status == "paid" && cancelled', false],
      ['missing == null', true],
      ['note == null', true],
      ['missing.deeper == null', true],
      ['total == -5', false],
      ['total > -5', true],
      ['status > 10', false],
      ['customer', true],
    ])('%s → %s', (expression, expected) => {
      expect(holds(expression)).toBe(expected);
    });

    it('compares strings by order and numbers numerically', () => {
      expect(holds('status > "a"')).toBe(true);
      expect(holds('total > 9')).toBe(true);
    });
  });

  describe('rejects what is not a comparison on state', () => {
    it.each([
      ['require("fs").writeFileSync("x", "y")', /Invalid --where expression/],
      ['require("child_process")', /function calls are not allowed/],
      ['process.exit(1)', /function calls are not allowed/],
      ['constructor.constructor("return process")()', /"constructor" is not a state field/],
      ['__proto__.polluted == 1', /"__proto__" is not a state field/],
      ['items.constructor == 1', /"constructor" is not a state field/],
      ['total = 5', /unexpected character "="/],
      ['status == `paid`', /unexpected character "`"/],
      ['total + 1 > 2', /unexpected character "\+"/],
      ['status; process.exit()', /unexpected character ";"/],
      ['status == "paid', /unterminated string/],
      ['(total > 1', /expected "\)"/],
      ['total >', /expected a value or a state path/],
      ['total > 1 1', /unexpected "1"/],
      ['', /the expression is empty/],
    ])('%s', (expression, message) => {
      expect(() => parseExpression(expression)).toThrow(CliError);
      expect(() => parseExpression(expression)).toThrow(message);
    });

    it('points at the offending column and says how to write a predicate instead', () => {
      expect(() => parseExpression('total > 1 ; x')).toThrow(/column 11[\s\S]*\^[\s\S]*--predicate/);
    });

    it('never reads inherited properties', () => {
      expect(holds('toString == null', {})).toBe(true);
      expect(holds('hasOwnProperty', {})).toBe(false);
      expect(evaluate(parseExpression('valueOf'), { a: 1 })).toBeUndefined();
    });
  });
});
