import { serializePosition, type RewindLogger } from '@rewind/core';
import type { EngineEmitter } from './engineEvents';

/**
 * Logs what the engine reports, at sensible levels with structured fields: a parked event or a
 * failure (error), a lost lease or a recoverable error (warn), a lease taken, a rebuild, a runner
 * going live again (info), every state change (debug).
 */
export function logEngine(emitter: EngineEmitter, logger: RewindLogger): void {
  emitter.on('dead-letter-parked', ({ projection, letter }) => {
    logger.error(
      {
        projection,
        stream: letter.streamId,
        revision: letter.revision.toString(),
        position: serializePosition(letter.position),
        type: letter.eventType,
        eventId: letter.eventId,
        attempts: letter.attempts,
        error: letter.error,
      },
      'projection parked an event as a dead letter',
    );
  });
  emitter.on('runner-error', ({ projection, error, retryInMs }) => {
    if (retryInMs === undefined) {
      logger.error({ projection, err: error }, 'projection failed');
    } else {
      logger.warn({ projection, err: error, retryInMs }, 'projection hit an error; retrying');
    }
  });
  emitter.on('state-changed', ({ projection, kind, state, previous, lastError }) => {
    const fields = { projection, kind, state, previous, ...(lastError ? { lastError } : {}) };
    if (state === 'failed') logger.error(fields, 'projection failed');
    else if (state === 'running' && (previous === 'catching-up' || previous === 'starting')) {
      logger.info(fields, 'projection is live');
    } else logger.debug(fields, 'projection state changed');
  });
  emitter.on('lease-acquired', ({ projection, lock, owner }) =>
    logger.info({ projection, lock, owner }, 'took over the projection lease: this process runs it'),
  );
  emitter.on('lease-lost', ({ projection, lock, owner, reason }) =>
    logger.warn(
      { projection, lock, owner, reason },
      'lost the projection lease: this process stops running it',
    ),
  );
  emitter.on('rebuild-started', ({ projection, namespace, resumed, from, scratch }) =>
    logger.info(
      { projection, namespace, resumed, scratch, ...(from ? { from: serializePosition(from) } : {}) },
      resumed ? 'rebuild resumed' : 'rebuild started',
    ),
  );
  emitter.on('rebuild-swapped', ({ projection, namespace, replaced, checkpoint }) =>
    logger.info(
      {
        projection,
        namespace,
        replaced,
        ...(checkpoint ? { checkpoint: serializePosition(checkpoint) } : {}),
      },
      'rebuild swapped: readers now see the new read model',
    ),
  );
  emitter.on('rebuild-finished', ({ projection, namespace, processed, durationMs, error }) => {
    if (error === undefined)
      logger.info({ projection, namespace, processed, durationMs }, 'rebuild finished');
    else logger.error({ projection, namespace, processed, durationMs, err: error }, 'rebuild failed');
  });
}
