import {
  comparePositions,
  EventDecodingError,
  type EventStore,
  type Position,
  type RecordedEvent,
  type Subscription,
  type SubscriptionMessage,
} from '@rewind/core';

/**
 * An event store whose event at `position` cannot be decoded, as a store meets a corrupt row: every
 * read delivers the events before it, then throws `EventDecodingError` with its position; a read that
 * starts after the position goes on past it. For tests of what consumers do with such an event.
 */
export function withUndecodableEvent(inner: EventStore, position: Position): EventStore {
  const failure = (event: RecordedEvent) =>
    new EventDecodingError(
      event.streamId,
      event.revision,
      event.type,
      'its stored data is not JSON (a test fault)',
      {
        position: event.position,
        eventId: event.id,
      },
    );
  const isBad = (event: RecordedEvent) => comparePositions(event.position, position) === 0;
  return new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (property === 'readAllPages' && target.readAllPages) {
        return async function* (...args: Parameters<NonNullable<EventStore['readAllPages']>>) {
          for await (const page of target.readAllPages!(...args)) {
            const bad = page.findIndex(isBad);
            if (bad < 0) {
              yield page;
              continue;
            }
            if (bad > 0) yield page.slice(0, bad);
            throw failure(page[bad]!);
          }
        };
      }
      if (property === 'readAll') {
        return async function* (...args: Parameters<EventStore['readAll']>) {
          for await (const event of target.readAll(...args)) {
            if (isBad(event)) throw failure(event);
            yield event;
          }
        };
      }
      if (property === 'subscribeToAll') {
        return (...args: Parameters<EventStore['subscribeToAll']>): Subscription => {
          const subscription = target.subscribeToAll(...args);
          return {
            close: () => subscription.close(),
            async *[Symbol.asyncIterator](): AsyncGenerator<SubscriptionMessage> {
              for await (const message of subscription) {
                if (message.type === 'event' && isBad(message.event)) throw failure(message.event);
                yield message;
              }
            },
          };
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
