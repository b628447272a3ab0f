import type { Position } from '../eventStore/position';

/** Metadata of an event as application code sees it (times as Dates). */
export interface EventMetadata {
  readonly schemaVersion: number;
  readonly correlationId: string;
  readonly causationId: string;
  /** Business time: when it happened in the domain. */
  readonly occurredAt: Date;
  /** Keys of your own, passed at save time. */
  readonly custom: Readonly<Record<string, unknown>>;
  /**
   * The W3C `traceparent` of the span that appended the event (stored as `$traceparent`), when it was
   * appended inside a trace; only on stored events.
   */
  readonly traceparent?: string;
}

/** A stored event decoded into its class, with everything the store knows about it. */
export interface EventEnvelope<E extends object = object> {
  readonly id: string;
  readonly type: string;
  readonly event: E;
  readonly metadata: EventMetadata;
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: Position;
  /** When the store recorded it. */
  readonly recordedAt: Date;
}
