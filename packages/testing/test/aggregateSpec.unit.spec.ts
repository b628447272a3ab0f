import { AssertionError } from 'node:assert';
import { randomUUID } from 'node:crypto';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  DomainError,
  DomainEvent,
  EventSourcingHandler,
} from '@rewind/core';
import { aggregateSpec } from '@rewind/testing';
import { IsString } from 'class-validator';

class Line {
  constructor(
    readonly sku: string,
    readonly quantity: number,
  ) {}
}

@DomainEvent('spec-test.filled', { version: 1 })
class Filled {
  constructor(
    readonly boxId: string,
    readonly lines: Line[],
    readonly note?: string,
  ) {}
}

@DomainEvent('spec-test.sealed', { version: 1 })
class Sealed {
  constructor(readonly boxId: string) {}
}

class Fill {
  @AggregateId() @IsString() boxId!: string;
  @IsString() sku!: string;
}

class Seal {
  @AggregateId() @IsString() boxId!: string;
}

class AlreadySealed extends DomainError {}
class OutOfStock extends DomainError {}

@Aggregate('spec_test_box')
class Box extends AggregateRoot {
  sealed = false;

  @CommandHandler(Fill, { mode: 'upsert' })
  fill(command: Fill): void {
    if (this.sealed) throw new AlreadySealed(`Box ${this.id} is sealed.`);
    this.raise(new Filled(command.boxId, [new Line(command.sku, 1)]));
  }

  @CommandHandler(Seal)
  seal(): void {
    if (!this.sealed) this.raise(new Sealed(this.id));
  }

  @EventSourcingHandler(Filled)
  onFilled(): void {}

  @EventSourcingHandler(Sealed)
  onSealed(): void {
    this.sealed = true;
  }
}

const box = aggregateSpec(Box);
const id = randomUUID();
const fill = (sku: string) => Object.assign(new Fill(), { boxId: id, sku });
const seal = () => Object.assign(new Seal(), { boxId: id });

/** The assertion error a spec fails with, or a failure of this test if it passes. */
async function failureOf(spec: Promise<void>): Promise<AssertionError> {
  const outcome = await spec.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof AssertionError))
    throw new Error(`expected an AssertionError, got ${String(outcome)}`);
  return outcome;
}

describe('aggregateSpec (framework-free: it fails with node AssertionErrors)', () => {
  it('passes when the events are equal as data: nested class instances, undefined fields left out', () =>
    box.when(fill('bar')).then(new Filled(id, [{ sku: 'bar', quantity: 1 }], undefined)));

  it('fails naming the classes when other events were raised', async () => {
    const error = await failureOf(box.when(fill('bar')).then(new Sealed(id)));
    expect(error.message).toContain('The command raised other events than the spec expects');
    expect(error.actual).toEqual(['Filled']);
    expect(error.expected).toEqual(['Sealed']);
  });

  it('fails with a diff of the fields when the event differs', async () => {
    const error = await failureOf(box.when(fill('bar')).then(new Filled(id, [new Line('bar', 2)])));
    expect(error.message).toContain('other fields than the spec expects');
    expect(error.message).toContain('quantity');
  });

  it('fails when the command succeeds where the spec expects an error', async () => {
    const error = await failureOf(box.when(fill('bar')).thenThrows(AlreadySealed));
    expect(error.message).toBe(
      'Expected the command to throw AlreadySealed, but it succeeded and raised Filled',
    );
  });

  it('fails naming the error thrown when it is another class', async () => {
    const error = await failureOf(box.given(new Sealed(id)).when(fill('bar')).thenThrows(OutOfStock));
    expect(error.message).toBe(
      `Expected the command to throw OutOfStock, but it threw AlreadySealed: Box ${id} is sealed.`,
    );
  });

  it('checks the message of the expected error', async () => {
    await box
      .given(new Sealed(id))
      .when(fill('bar'))
      .thenThrows(AlreadySealed, /is sealed/);
    const error = await failureOf(
      box.given(new Sealed(id)).when(fill('bar')).thenThrows(AlreadySealed, 'is open'),
    );
    expect(error.message).toContain('its message does not match is open');
    expect(error.actual).toBe(`Box ${id} is sealed.`);
  });

  it('fails thenNothing when the command raised events', async () => {
    await box.given(new Sealed(id)).when(seal()).thenNothing();
    const error = await failureOf(box.given(new Filled(id, [])).when(seal()).thenNothing());
    expect(error.message).toBe('Expected the command to raise nothing, but it raised Sealed');
  });
});
