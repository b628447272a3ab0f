import { randomUUID } from 'node:crypto';
import { ValidationError } from '@rewind/core';
import { aggregateSpec } from '@rewind/testing';
import {
  AddItem,
  Cart,
  CartAlreadyCheckedOut,
  CheckedOut,
  CheckOut,
  gettingStarted,
  gettingStartedProjection,
  ItemAdded,
} from '../src/gettingStarted';

describe('getting started', () => {
  it('runs the scenario the docs show', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const id = randomUUID();
    const { rejected, now, before } = await gettingStarted(id);
    expect(rejected).toBeInstanceOf(ValidationError);
    expect((rejected as ValidationError).violations.map((v) => v.path)).toEqual(['sku', 'quantity']);
    expect({ ...now }).toEqual({ items: { 'energy-bar': 3 }, checkedOut: true });
    expect({ ...before }).toEqual({ items: { 'energy-bar': 2 }, checkedOut: false });
    expect(log).toHaveBeenCalledTimes(3);
    log.mockRestore();
  });

  const cart = aggregateSpec(Cart);
  const id = randomUUID();
  const command = <T extends object>(type: new () => T, fields: Partial<T>) =>
    Object.assign(new type(), fields);

  it('adds an item to a new cart', () =>
    cart.when(command(AddItem, { cartId: id, sku: 'bar', quantity: 1 })).then(new ItemAdded(id, 'bar', 1)));
  it('refuses items after checkout', () =>
    cart
      .given(new ItemAdded(id, 'bar', 1), new CheckedOut(id))
      .when(command(AddItem, { cartId: id, sku: 'bar', quantity: 1 }))
      .thenThrows(CartAlreadyCheckedOut));
  it('checks out once', () =>
    cart
      .given(new ItemAdded(id, 'bar', 1))
      .when(command(CheckOut, { cartId: id }))
      .then(new CheckedOut(id)));
});

describe('getting started: projection and rebuild', () => {
  it('builds the read model, rebuilds it, and builds it as of the first event', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const id = randomUUID();
    const { summary, result, afterRebuild, past, then } = await gettingStartedProjection(id);
    expect(summary).toEqual({ items: 2, checkedOut: true });
    expect(result.replaced).toBe('cart-summary@v1');
    expect(result.namespace).toMatch(/^cart-summary@v1#/);
    expect(result.scratch).toBe(false);
    expect(result.processed).toBe(2);
    expect(afterRebuild).toEqual(summary);
    expect(past.scratch).toBe(true);
    expect(then).toEqual({ items: 2, checkedOut: false });
    expect(log.mock.calls.some(([phase]) => phase === 'done')).toBe(true);
    log.mockRestore();
  });
});
