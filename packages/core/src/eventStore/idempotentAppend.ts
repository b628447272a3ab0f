import { createHash } from 'node:crypto';
import { ConcurrencyError } from '../errors/errors';
import type { AppendResult, ExpectedRevision } from './eventStore';
import type { Position } from './position';
import { checkExpectedRevision } from './storeSupport';

/**
 * Idempotent appends, the same on every store (EventStoreDB decides them on the server; the others
 * with {@link decideAppend}): appending events whose ids are already in the stream, at the place the
 * expected revision says, succeeds and writes nothing. That is what makes an append whose outcome was
 * lost safe to retry.
 */

/** An event already in a stream, as {@link decideAppend} compares it. */
export interface StoredEventId {
  readonly id: string;
  readonly position: Position;
}

/** Whether an append is to be written, or is a retry of one already written (nothing to write). */
export type AppendDecision =
  { readonly kind: 'write' } | { readonly kind: 'already-written'; readonly result: AppendResult };

const WRITE: AppendDecision = { kind: 'write' };

/**
 * Decides an append against the stream as it is, the way EventStoreDB does for the cases Rewind uses:
 * - an exact expected revision R (or `'no_stream'`, i.e. R = -1) behind the stream: when the events at
 *   R+1… carry exactly these ids, the append was already written (success, nothing written); when only
 *   the first ones match, it is a conflict (a different append with some of the same ids);
 * - `'any'` or `'stream_exists'`: when the stream's last events carry exactly these ids (a retry with
 *   nothing written in between), the append was already written.
 * Otherwise the expected revision is checked as usual.
 *
 * @param ids the ids of the events to append; an append with an event without an id (one the store
 *   will generate) is never a retry.
 * @param storedIds the ids and positions of the stream's events from `from` to `to` (inclusive), in
 *   revision order; called only when needed, inside the store's write transaction.
 * @throws ConcurrencyError when the stream is not where the expected revision says and the append is
 *   not a retry.
 */
export function decideAppend(
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | undefined,
  ids: readonly (string | undefined)[],
  storedIds: (from: bigint, to: bigint) => readonly StoredEventId[],
): AppendDecision {
  const count = BigInt(ids.length);
  const known = ids.every((id) => id !== undefined);
  const matches = (from: bigint): AppendResult | 'partly' | undefined => {
    const to = actual === undefined ? -1n : actual < from + count - 1n ? actual : from + count - 1n;
    if (to < from) return undefined;
    const stored = storedIds(from, to);
    if (stored[0]?.id !== ids[0]) return undefined;
    if (stored.length !== ids.length || stored.some((event, i) => event.id !== ids[i])) return 'partly';
    return { nextExpectedRevision: from + count - 1n, position: stored[stored.length - 1]!.position };
  };
  if (expected === 'any' || expected === 'stream_exists') {
    checkExpectedRevision(streamId, expected, actual);
    if (!known || actual === undefined || actual + 1n < count) return WRITE;
    const retry = matches(actual - count + 1n);
    return retry && retry !== 'partly' ? { kind: 'already-written', result: retry } : WRITE;
  }
  const after = expected === 'no_stream' ? -1n : expected;
  if (actual === (expected === 'no_stream' ? undefined : expected)) return WRITE;
  if (known && actual !== undefined && after < actual) {
    const retry = matches(after + 1n);
    if (retry === 'partly') {
      throw new ConcurrencyError(streamId, expected, actual, {
        hint:
          'The stream holds the first of these events (same ids) but not all of them: this is a different ' +
          'append reusing event ids, not a retry of the same one. Give new events new ids.',
      });
    }
    if (retry) return { kind: 'already-written', result: retry };
  }
  checkExpectedRevision(streamId, expected, actual);
  return WRITE;
}

/** Rewind's namespace for derived event ids (a UUID, as RFC 9562 name-based UUIDs need one). */
const EVENT_ID_NAMESPACE = Buffer.from('6f1b3c9e4d2a4f0b8e7c5a1d2b3c4d5e', 'hex');

/**
 * The id of the `index`-th event one command appends to one stream: a name-based UUID (version 5,
 * RFC 9562) of the command id, the stream and the index. The same command retried gives the same ids,
 * which is what lets a store recognise a retried append, and lets the CommandBus recognise a command
 * that was already applied.
 */
export function deriveEventId(commandId: string, streamId: string, index: number): string {
  const hash = createHash('sha1')
    .update(EVENT_ID_NAMESPACE)
    .update(`${commandId}\u0000${streamId}\u0000${index}`, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
