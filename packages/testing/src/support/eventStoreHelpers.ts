import type { EventToAppend, RecordedEvent, Subscription, SubscriptionMessage } from '@rewind/core';

// Helpers for tests of event stores and subscriptions. Framework-free: usable from jest, vitest or node:test.

/** Builds an event ready to append, with Rewind's required metadata. */
export function testEvent(
  type: string,
  data: unknown = {},
  extra: Record<string, unknown> = {},
): EventToAppend {
  return {
    type,
    data,
    metadata: {
      schemaVersion: 1,
      correlationId: 'corr-1',
      causationId: 'cause-1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      ...extra,
    },
  };
}

/** Collects an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Reads subscription messages until `until` says stop, or fails after `timeoutMs`. */
export async function takeMessages(
  subscription: Subscription,
  until: (received: SubscriptionMessage[]) => boolean,
  timeoutMs = 5000,
): Promise<SubscriptionMessage[]> {
  const received: SubscriptionMessage[] = [];
  const iterator = subscription[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`subscription timed out after ${timeoutMs} ms; received ${summarize(received)}`)),
      timeoutMs,
    );
  });
  try {
    while (!until(received)) {
      const next = await Promise.race([iterator.next(), timeout]);
      if (next.done) break;
      received.push(next.value);
    }
    return received;
  } finally {
    clearTimeout(timer);
  }
}

function summarize(messages: SubscriptionMessage[]): string {
  return (
    messages.map((m) => (m.type === 'event' ? `${m.event.streamId}:${m.event.type}` : m.type)).join(', ') ||
    'nothing'
  );
}

/** The events among subscription messages. */
export function eventsOf(messages: SubscriptionMessage[]): RecordedEvent[] {
  return messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
}
