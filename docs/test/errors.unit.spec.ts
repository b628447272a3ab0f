import { randomUUID } from 'node:crypto';
import {
  AggregateNotFoundError,
  ConcurrencyError,
  ConfigurationError,
  DomainError,
  EventDecodingError,
  HandlerNotFoundError,
  InMemoryEventStore,
  isRewindError,
  ProjectionError,
  RewindError,
  StoreError,
  StoreUnavailableError,
  StreamNotFoundError,
  ValidationError,
} from '@rewind/core';
import { createBank, Deposit } from '../src/commands';
import { adviceFor } from '../src/errors';

describe('errors', () => {
  it('gives every error a stable code and advice', () => {
    const cases: Array<[RewindError, string, string]> = [
      [new ValidationError('command X', []), 'VALIDATION', 'fix-input'],
      [new ConcurrencyError('order-1', 0n, 1n), 'CONCURRENCY', 'retry'],
      [new StoreUnavailableError('down'), 'STORE_UNAVAILABLE', 'retry'],
      [new AggregateNotFoundError('order', '1', 'order-1'), 'AGGREGATE_NOT_FOUND', 'not-found'],
      [new StreamNotFoundError('order-1'), 'STREAM_NOT_FOUND', 'not-found'],
      [new DomainError('no'), 'DOMAIN', 'refused'],
      [new HandlerNotFoundError('none'), 'HANDLER_NOT_FOUND', 'fix-code'],
      [new ConfigurationError('bad'), 'CONFIGURATION', 'fix-code'],
      [new EventDecodingError('order-1', 0n, 'x', 'why'), 'EVENT_DECODING', 'fix-code'],
      [new ProjectionError('p', 'failed'), 'PROJECTION', 'fix-code'],
      [new StoreError('odd', { cause: new Error('vendor') }), 'STORE', 'unknown'],
    ];
    for (const [error, code, advice] of cases) {
      expect(error.code).toBe(code);
      expect(error.name).toBe(error.constructor.name);
      expect(adviceFor(error)).toBe(advice);
    }
    expect(adviceFor(new Error('plain'))).toBe('unknown');
    expect(isRewindError(new ConcurrencyError('a-1', 'no_stream', 0n), 'CONCURRENCY')).toBe(true);
  });

  it('names the culprit and the fix', async () => {
    const error = new ConcurrencyError('order-1', 3n, 5n);
    expect(error.message).toMatch(/Stream "order-1" was expected at revision 3 but is at revision 5/);
    expect(error.streamId).toBe('order-1');
    const store = new InMemoryEventStore();
    const missing = await (async () => {
      for await (const _ of store.readStream('order-1')) void _;
    })().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StreamNotFoundError);
    const { commandBus } = createBank();
    const notFound = await commandBus
      .execute(Object.assign(new Deposit(), { accountId: randomUUID(), amount: 1 }))
      .catch((e: unknown) => e);
    expect((notFound as Error).message).toMatch(
      /create it first with a command handler declared \{ mode: "create" \}/,
    );
    await expect(commandBus.execute({ accountId: 'x' })).rejects.toBeInstanceOf(ValidationError);
  });
});
