import { randomUUID } from 'node:crypto';
import {
  AppendOutcomeUnknownError,
  createRewind,
  deriveEventId,
  InMemoryEventStore,
  StoreUnavailableError,
  type AppendOptions,
  type AppendResult,
  type EventToAppend,
} from '@rewind/core';
import { collect } from '@rewind/testing';
import { Order, OrderLine, PayOrder, PlaceOrder } from './fixtures/order';

/**
 * An in-memory store whose next appends are written and then answered with "outcome unknown", as an
 * EventStoreDB append does when its response is lost or its commit times out.
 */
class LosingAnswers extends InMemoryEventStore {
  /** How many of the next appends lose their answer after being written. */
  lose = 0;
  /** How many of the next appends fail as unreachable without being written (after a lost answer). */
  unreachable = 0;
  attempts = 0;

  override async append(
    streamId: string,
    events: readonly EventToAppend[],
    options?: AppendOptions,
  ): Promise<AppendResult> {
    this.attempts++;
    if (this.lose === 0 && this.unreachable > 0) {
      this.unreachable--;
      throw new StoreUnavailableError('the test store is unreachable');
    }
    const result = await super.append(streamId, events, options);
    if (this.lose > 0) {
      this.lose--;
      throw new AppendOutcomeUnknownError(
        streamId,
        options?.expectedRevision ?? 'any',
        events.map((e) => e.id ?? '?'),
        'the answer was lost (test)',
      );
    }
    return result;
  }
}

function shop(retries: number) {
  const eventStore = new LosingAnswers();
  const rewind = createRewind({
    eventStore,
    aggregates: [Order],
    appendRetries: { ambiguousAppendRetries: retries, ambiguousAppendBackoffMs: 1 },
  });
  return { ...rewind, eventStore };
}

describe('idempotent saves and commands', () => {
  describe('deriveEventId', () => {
    it('gives the same RFC 9562 version 5 UUID for the same command, stream and index, another otherwise', () => {
      const id = deriveEventId('cmd-1', 'order-1', 0);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(deriveEventId('cmd-1', 'order-1', 0)).toBe(id);
      const others = [
        deriveEventId('cmd-2', 'order-1', 0),
        deriveEventId('cmd-1', 'order-2', 0),
        deriveEventId('cmd-1', 'order-1', 1),
        // the separator keeps ("a", "b-c") apart from ("a-b", "c")
        deriveEventId('cmd-1-order', '1', 0),
      ];
      expect(new Set([id, ...others]).size).toBe(5);
    });
  });

  describe('given an append written whose answer is lost', () => {
    it('when the command runs, then the save retries with the same ids and the events are written once', async () => {
      const { commandBus, eventStore } = shop(3);
      const id = randomUUID();
      eventStore.lose = 2;
      const result = await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
      expect(result.alreadyApplied).toBeFalsy();
      expect(eventStore.attempts).toBe(3);
      const events = await collect(eventStore.readStream(`testorder-${id}`));
      expect(events.map((e) => e.type)).toEqual(['test.order.placed']);
      expect(events[0]!.id).toBe(deriveEventId(result.commandId, `testorder-${id}`, 0));
    });

    it('when every retry is unanswered too, then the command fails with APPEND_OUTCOME_UNKNOWN naming stream and fix', async () => {
      const { commandBus, eventStore } = shop(2);
      const id = randomUUID();
      eventStore.lose = 1;
      eventStore.unreachable = 2;
      const error = await commandBus
        .execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5), { commandId: 'place-1' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppendOutcomeUnknownError);
      const unknown = error as AppendOutcomeUnknownError;
      expect(unknown.code).toBe('APPEND_OUTCOME_UNKNOWN');
      expect(unknown.streamId).toBe(`testorder-${id}`);
      expect(unknown.expectedRevision).toBe('no_stream');
      expect(unknown.eventIds).toEqual([deriveEventId('place-1', `testorder-${id}`, 0)]);
      expect(unknown.message).toMatch(/may or may not have been written/);
      expect(unknown.message).toMatch(/same command again with the same commandId/);
      expect(eventStore.attempts).toBe(3);
    });

    it('when the same command runs again with the same commandId, then it is reported alreadyApplied and not applied twice', async () => {
      const { commandBus, eventStore } = shop(0);
      const id = randomUUID();
      await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 10));
      eventStore.lose = 1;
      await expect(commandBus.execute(PayOrder.of(id, 4), { commandId: 'pay-1' })).rejects.toBeInstanceOf(
        AppendOutcomeUnknownError,
      );
      const again = await commandBus.execute(PayOrder.of(id, 4), { commandId: 'pay-1' });
      expect(again).toMatchObject({ alreadyApplied: true, value: undefined, revision: 1n, aggregateId: id });
      const events = await collect(eventStore.readStream(`testorder-${id}`));
      expect(events.map((e) => e.type)).toEqual(['test.order.placed', 'test.order.paid']);
      // Another command id is another command: it runs (and the order refuses a second payment).
      await expect(commandBus.execute(PayOrder.of(id, 1), { commandId: 'pay-2' })).rejects.toThrow(
        /already paid/,
      );
    });

    it('when a create command runs again with the same commandId, then it is alreadyApplied, not "already exists"', async () => {
      const { commandBus, eventStore } = shop(0);
      const id = randomUUID();
      eventStore.lose = 1;
      await expect(
        commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5), { commandId: 'place-9' }),
      ).rejects.toBeInstanceOf(AppendOutcomeUnknownError);
      const again = await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5), {
        commandId: 'place-9',
      });
      expect(again.alreadyApplied).toBe(true);
      expect(await collect(eventStore.readStream(`testorder-${id}`))).toHaveLength(1);
    });
  });
});
