import { decideAppend, sequencePosition, type AppendResult, type PreparedAppend } from '@rewind/core';
import type { BatchOutcome } from './groupCommit';
import type { KnownRevisions } from './knownRevisions';
import type { EventStatements } from './statements';

/** An append waiting for its group commit, already serialized (bad data fails its caller alone). */
export type PendingAppend = PreparedAppend;

/** What a group commit wrote, for {@link KnownRevisions.committed} once it has committed. */
export interface WrittenBatch {
  readonly revisions: Map<string, number>;
  recordedAt: number;
}

/**
 * Writes one group commit. Runs inside `BEGIN IMMEDIATE`, so the revisions read here are the
 * file's, whatever other processes did (what `known` remembers is used only while no other connection
 * has committed, see {@link KnownRevisions}); appends to one stream see the earlier ones of the batch.
 * `written` receives the streams' new revisions and the last recorded time.
 */
export function writeAppends(
  s: EventStatements,
  batch: readonly PendingAppend[],
  clock: () => number,
  known: KnownRevisions,
  written: WrittenBatch,
): BatchOutcome<AppendResult>[] {
  known.check(s.dataVersion.get()!);
  const outcomes: BatchOutcome<AppendResult>[] = [];
  let recordedAt = Math.max(clock(), known.lastRecordedAt ?? s.lastRecordedAt.get()?.recorded_at ?? 0);
  const revisions = written.revisions;
  for (const pending of batch) {
    let current =
      revisions.get(pending.streamId) ??
      known.revision(pending.streamId) ??
      s.streamRevision.get(pending.streamId)?.revision;
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
    revisions.set(pending.streamId, current!);
    outcomes.push({
      ok: true,
      value: { nextExpectedRevision: BigInt(current!), position: sequencePosition(position) },
    });
    written.recordedAt = recordedAt;
    recordedAt = Math.max(recordedAt, clock());
  }
  return outcomes;
}
