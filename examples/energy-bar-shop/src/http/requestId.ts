import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The header a request id comes in and goes back out in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What a client's request id may look like: it ends up in the event log as a correlation id. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * Fastify's `genReqId`: the client's `x-request-id` when it sends a usable one (up to 100 letters,
 * digits, `.`, `_`, `:` or `-`: a UUID fits), otherwise a new UUID. Anything else a client sends there
 * (too long, other characters, the header twice) is replaced rather than written into the log.
 *
 * @example
 * Fastify({ genReqId: requestId });
 */
export function requestId(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && ACCEPTED.test(sent) ? sent : randomUUID();
}

/** The header a client names a command attempt with, so that sending it again applies it once. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * The command id for a request: the client's `Idempotency-Key` when it sends a usable one (same rule
 * as a request id), scoped to the route so one key cannot stand for two different commands; otherwise
 * undefined (the command bus then picks a new one). A request sent again with the same key, after an
 * answer that was lost or a 503, is recognised and applied once (the answer says `alreadyApplied`).
 */
export function commandIdOf(request: IncomingMessage, route: string): string | undefined {
  const sent = request.headers[IDEMPOTENCY_KEY_HEADER];
  return typeof sent === 'string' && ACCEPTED.test(sent) ? `${route} ${sent}` : undefined;
}
