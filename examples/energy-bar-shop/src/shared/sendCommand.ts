import { ConcurrencyError, type CommandBus, type EventEnvelope } from '@rewind/core';

/**
 * Sends a command on behalf of an event a reactor handles: same correlation id as the event, the
 * event's id as causation, so a whole order's story can be followed across services. A create that
 * finds its aggregate already there (the event was delivered before) counts as done.
 */
export async function sendCommand(bus: CommandBus, cause: EventEnvelope, command: object): Promise<void> {
  try {
    await bus.execute(command, { correlationId: cause.metadata.correlationId, causationId: cause.id });
  } catch (error) {
    if (error instanceof ConcurrencyError && error.expectedRevision === 'no_stream') return;
    throw error;
  }
}
