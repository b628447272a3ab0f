import type { StoredEventMetadata } from '../eventStore/eventStore';
import type { Type } from '../metadata/metadataKeys';
import { requireDomainEventMetadata } from './domainEvent.decorator';

/** Turns a payload of one schema version into the next. Stored events are never rewritten. */
export interface Upcaster {
  readonly eventType: string;
  /** The version this upcaster reads; it produces `fromVersion + 1`. */
  readonly fromVersion: number;
  up(data: Record<string, unknown>, metadata: StoredEventMetadata): Record<string, unknown>;
}

/**
 * Declares how to turn version `fromVersion` of an event's payload into `fromVersion + 1`. Register the
 * chain with `createRewind({ upcasters })`; a missing step is a start-up error.
 *
 * @example
 * // v1 had `price` in won; v2 has `amount` and `currency`.
 * const orderPlacedV1 = defineUpcaster(OrderPlaced, 1, (data) => ({ ...data, amount: data.price, currency: 'KRW' }));
 */
export function defineUpcaster(
  eventClass: Type,
  fromVersion: number,
  up: (data: Record<string, unknown>, metadata: StoredEventMetadata) => Record<string, unknown>,
): Upcaster {
  const { type } = requireDomainEventMetadata(eventClass, 'an upcaster');
  return { eventType: type, fromVersion, up };
}
