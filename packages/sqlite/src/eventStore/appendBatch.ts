import { decideAppend, sequencePosition, type AppendResult, type PreparedAppend } from '@rewind/core';
import type { BatchOutcome } from './groupCommit';
import type { EventStatements } from './statements';

/** An append waiting for its group commit, already serialized (bad data fails its caller alone). */
export type PendingAppend = PreparedAppend;

/**
 * Writes one group commit. Runs inside `BEGIN IMMEDIATE`, so the revisions read here are the
 * file's, whatever other processes did; appends to one stream see the earlier ones of the batch.
 */
export function writeAppends(
  s: EventStatements,
  batch: readonly PendingAppend[],
  clock: () => number,
): BatchOutcome<AppendResult>[] {
  const outcomes: BatchOutcome<AppendResult>[] = [];
  let recordedAt = Math.max(clock(), s.lastRecordedAt.get()?.recorded_at ?? 0);
  const revisions = new Map<string, number | undefined>();
  for (const pending of batch) {
    let current = revisions.has(pending.streamId)
      ? revisions.get(pending.streamId)
      : s.streamRevision.get(pending.streamId)?.revision;
    try {
      const decision = decideAppend(
        pending.streamId,
        pending.expected,
        current === undefined ? undefined : BigInt(current),
        pending.rows.map(([eventId]) => (pending.idsGiven ? eventId : undefined)),
        (from, to) =>
          s.storedIds
            .all(pending.streamId, Number(from), Number(to))
            .map((row) => ({ id: row.event_id, position: sequencePosition(row.position) })),
      );
      if (decision.kind === 'already-written') {
        outcomes.push({ ok: true, value: decision.result });
        continue;
      }
    } catch (error) {
      outcomes.push({ ok: false, error });
      continue;
    }
    let position = 0;
    for (const [eventId, type, data, metadata] of pending.rows) {
      current = current === undefined ? 0 : current + 1;
      const info = s.insert.run(pending.streamId, current, eventId, type, data, metadata, recordedAt);
      position = Number(info.lastInsertRowid);
    }
    s.upsertStream.run(pending.streamId, current!);
    revisions.set(pending.streamId, current);
    outcomes.push({
      ok: true,
      value: { nextExpectedRevision: BigInt(current!), position: sequencePosition(position) },
    });
    recordedAt = Math.max(recordedAt, clock());
  }
  return outcomes;
}
