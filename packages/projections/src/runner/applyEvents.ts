import {
  AttributeNames as A,
  contextOfEvent,
  inSpan,
  MESSAGING_SYSTEM,
  serializePosition,
  SpanNames,
  type EventEnvelope,
  type EventMetadata,
  type EventRegistry,
  type RecordedEvent,
} from '@rewind/core';
import type { ProjectionContext, ReactorContext } from '../decorators/projection.decorator';
import type { ReadModelTransaction } from '../readModel/readModelStore';
import type { ProcessorDefinition } from './processorRegistry';

/** A handler threw: carries the index of the failing event in its batch and the original error. */
export class HandlerFailure extends Error {
  constructor(
    readonly index: number,
    readonly original: unknown,
  ) {
    super(`handler failed: ${describeError(original)}`);
  }
}

/**
 * Applies decoded events through a projector's handlers inside a read-model transaction (shared by the
 * live runner, rebuilds and dead-letter retries). Events of types the projector does not handle, or
 * that the registry skips, are passed over.
 * @throws HandlerFailure with the index of the failing event.
 */
export function applyEvents(
  definition: ProcessorDefinition,
  registry: EventRegistry,
  tx: ReadModelTransaction,
  events: readonly RecordedEvent[],
  isReplay: boolean,
): Promise<void> {
  const { name } = definition.meta;
  const collection = ((c: string) => tx.collection(c)) as ProjectionContext['collection'];
  return runHandlers(
    definition,
    registry,
    events,
    (envelope) => new HandlerProjectionContext(name, envelope, tx, collection, isReplay),
  );
}

/**
 * Runs a reactor's handlers — side effects — outside any read-model transaction, so a slow call holds
 * up nothing else on the store; the caller then commits the checkpoint on its own. At least once: a
 * crash between the side effect and that commit repeats it, and the idempotency key lets the callee
 * ignore the repeat.
 * @throws HandlerFailure with the index of the failing event.
 */
export function runReactor(
  definition: ProcessorDefinition,
  registry: EventRegistry,
  events: readonly RecordedEvent[],
  traced = true,
): Promise<void> {
  const { name } = definition.meta;
  return runHandlers(
    definition,
    registry,
    events,
    (envelope, recorded) => new HandlerReactorContext(name, envelope, `${name}:${recorded.id}`),
    traced ? (recorded, run) => inReactorSpan(name, recorded, run) : undefined,
  );
}

/**
 * A reactor's handling of one event, in a `rewind.reactor.handle` span whose parent is the span that
 * appended the event (its `$traceparent`): the commands the reactor sends join the same trace.
 */
function inReactorSpan(reactor: string, recorded: RecordedEvent, run: () => Promise<void>): Promise<void> {
  const parent = contextOfEvent(recorded.metadata);
  return inSpan(
    SpanNames.reactorHandle,
    {
      kind: 'consumer',
      ...(parent ? { parent } : {}),
      attributes: () => ({
        [A.messagingSystem]: MESSAGING_SYSTEM,
        [A.messagingOperationType]: 'process',
        [A.messagingDestinationName]: recorded.streamId,
        [A.messagingConsumerGroupName]: reactor,
        [A.messagingMessageId]: recorded.id,
        [A.projection]: reactor,
        [A.eventType]: recorded.type,
        [A.streamId]: recorded.streamId,
        [A.revision]: recorded.revision.toString(),
        [A.position]: serializePosition(recorded.position),
      }),
    },
    run,
  );
}

/** Decodes each handled event and calls its handler with the context `contextFor` gives. */
async function runHandlers(
  definition: ProcessorDefinition,
  registry: EventRegistry,
  events: readonly RecordedEvent[],
  contextFor: (envelope: EventEnvelope, recorded: RecordedEvent) => unknown,
  around?: (recorded: RecordedEvent, run: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const { handlers } = definition;
  for (let i = 0; i < events.length; i++) {
    const recorded = events[i]!;
    const handler = handlers.get(recorded.type);
    if (!handler) continue;
    try {
      const envelope = registry.decode(recorded);
      if (!envelope) continue;
      if (around) {
        await around(recorded, async () => {
          await handler(envelope.event, contextFor(envelope, recorded));
        });
        continue;
      }
      const result = handler(envelope.event, contextFor(envelope, recorded));
      if (result instanceof Promise) await result;
    } catch (error) {
      throw new HandlerFailure(i, error);
    }
  }
}

/** `Error: message` for errors, the value as text otherwise. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Handler context; `metadata` is built from the envelope only when a handler reads it. */
class HandlerProjectionContext implements ProjectionContext {
  constructor(
    readonly projection: string,
    readonly envelope: EventEnvelope,
    readonly tx: ReadModelTransaction,
    readonly collection: ProjectionContext['collection'],
    readonly isReplay: boolean,
  ) {}

  get metadata(): EventMetadata {
    return this.envelope.metadata;
  }
}

class HandlerReactorContext implements ReactorContext {
  readonly isReplay = false as const;

  constructor(
    readonly reactor: string,
    readonly envelope: EventEnvelope,
    readonly idempotencyKey: string,
  ) {}

  get metadata(): EventMetadata {
    return this.envelope.metadata;
  }
}
