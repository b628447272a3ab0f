/**
 * The test server's storage: one in-memory log shaped like EventStoreDB's transaction file, with sparse
 * byte offsets, system events and `created` in 100 ns ticks since the Unix epoch.
 *
 * What it follows from the server's source (EventStore/EventStore, tag v24.10.4 unless said otherwise):
 * - every event of an append is its own prepare record with `IsCommitted` set, so its `$all` position is
 *   `commit = prepare = its own log position` (AllReader.cs: `new CommitEventRecord(eventRecord, prepare.LogPosition)`);
 * - the expected-revision and idempotency decision is `IndexWriter.CheckCommit` (IndexWriter.cs ~177-275) and
 *   `StorageWriterService.ActOnCommitCheckFailure` (CorruptedIdempotency answers "wrong expected version");
 * - soft delete writes `{"$tb": long.MaxValue}` to `$$stream`, hard delete a `$streamDeleted` tombstone
 *   (StorageWriterService.cs `WriteDelete`); appending to a soft-deleted stream continues its revisions
 *   and writes `$tb = first new revision` (`SoftUndeleteStream`).
 * It does not model: scavenging, `$acl`, `$tb` set by a user together with other keys beyond reads,
 * the bounded committed-events cache the real idempotency check uses (here every id is remembered).
 */

/** One record of the log, as the server stores and sends it. */
export interface LogRecord {
  readonly streamId: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
  /** 100 ns ticks since the Unix epoch, as EventStoreDB sends `created`. */
  readonly created: bigint;
  /** Commit position: equal to {@link prepare} (each event is its own committed prepare record). */
  readonly commit: bigint;
  /** Prepare position: the record's byte offset in the log. */
  readonly prepare: bigint;
  /** The offset right after this record (where the next record starts). */
  readonly postPosition: bigint;
}

/** An event proposed by a client append. */
export interface ProposedRecord {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly metadata: Uint8Array;
}

/** An expected revision as the protocol carries it. */
export type ProtocolExpected = 'any' | 'no_stream' | 'stream_exists' | bigint;

/** A `$all` position. */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/**
 * What an append or delete did: written (or recognised as an idempotent retry: nothing written) with
 * the last revision and the position the server answers with, or refused.
 */
export type AppendOutcome =
  | {
      readonly ok: true;
      readonly revision: bigint;
      readonly commit: bigint;
      readonly prepare: bigint;
      /** True when the events were already written (idempotent retry) and nothing new was written. */
      readonly idempotent: boolean;
    }
  | { readonly ok: false; readonly reason: 'wrong-expected-version'; readonly actual: bigint | undefined }
  | { readonly ok: false; readonly reason: 'stream-deleted' };

/** What a read of one stream finds. */
export type StreamReadOutcome =
  | { readonly kind: 'found'; readonly records: readonly LogRecord[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'deleted' };

/** `EventNumber.DeletedStream` (long.MaxValue): the tombstone's revision and the soft-delete `$tb`. */
export const DELETED_STREAM = 9_223_372_036_854_775_807n;

const RECORD_HEADER_BYTES = 89n;
const TICKS_PER_MS = 10_000n;
const ANY = -2n;
const NO_STREAM = -1n;
const STREAM_EXISTS = -4n;

/** Compares two records' places in `$all`. */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Options of the in-memory log. */
export interface EventStoreDBLogOptions {
  /** A system event pair (`$statsCollected`, `$metadata`) is written after every this many user appends. */
  readonly systemEventEvery?: number;
  /** Write the standard projections' link events (`$ce-`, `$et-`, `$streams`, `$category-`). */
  readonly systemProjections?: boolean;
}

interface StreamMetadata {
  readonly maxCount?: number;
  readonly maxAgeSeconds?: number;
  readonly truncateBefore?: bigint;
}

/** The log itself. Survives server restarts because the server keeps the same instance. */
export class EventStoreDBLog {
  readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  private readonly tombstoned = new Set<string>();
  private readonly eventIds = new Map<string, LogRecord>();
  private offset = 0n;
  private lastTicks = 0n;
  private readonly listeners = new Set<(records: readonly LogRecord[]) => void>();
  private appendsSinceStats = 0;
  private readonly systemEventEvery: number;
  private readonly systemProjections: boolean;

  constructor(options: EventStoreDBLogOptions | number = {}) {
    const opts = typeof options === 'number' ? { systemEventEvery: options } : options;
    this.systemEventEvery = opts.systemEventEvery ?? 7;
    this.systemProjections = opts.systemProjections ?? true;
    // What a fresh EventStoreDB node writes to its own log before any user event.
    this.writeRecords('$epoch-information', [systemEvent('$epoch-information')], 0n);
    this.writeRecords('$projections-$all', [systemEvent('$ProjectionsInitialized')], 0n);
  }

  /** Raw records of one stream (including truncated ones and a tombstone), or undefined. */
  stream(streamId: string): readonly LogRecord[] | undefined {
    return this.streams.get(streamId);
  }

  /** The position of the last record written (what a node reports as its last indexed position). */
  get lastPosition(): LogPosition {
    const last = this.records[this.records.length - 1];
    return last ? { commit: last.commit, prepare: last.prepare } : { commit: 0n, prepare: 0n };
  }

  /**
   * Reads a stream as the server does: tombstoned → deleted; soft-deleted or never written → not found;
   * otherwise the events its metadata (`$tb`, `$maxCount`, `$maxAge`) leaves visible.
   */
  readStream(streamId: string): StreamReadOutcome {
    if (this.tombstoned.has(streamId)) return { kind: 'deleted' };
    const records = this.streams.get(streamId);
    const meta = this.metadataOf(streamId);
    if (!records || meta.truncateBefore === DELETED_STREAM) return { kind: 'not-found' };
    let visible: readonly LogRecord[] = records;
    const last = records[records.length - 1]!.revision;
    if (meta.truncateBefore !== undefined) {
      const tb = meta.truncateBefore;
      visible = visible.filter((r) => r.revision >= tb);
    }
    if (meta.maxCount !== undefined) {
      const from = last - BigInt(meta.maxCount) + 1n;
      visible = visible.filter((r) => r.revision >= from);
    }
    if (meta.maxAgeSeconds !== undefined) {
      const oldest = BigInt(Date.now() - meta.maxAgeSeconds * 1000) * TICKS_PER_MS;
      visible = visible.filter((r) => r.created >= oldest);
    }
    return { kind: 'found', records: visible };
  }

  /** Calls `listener` with every batch written from now on. */
  onAppend(listener: (records: readonly LogRecord[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Appends atomically after the server's commit check (expected revision, idempotency, deletion).
   * With `write: false` the decision is made but nothing is written (a fault that loses the write).
   */
  append(
    streamId: string,
    events: readonly ProposedRecord[],
    expected: ProtocolExpected,
    write = true,
  ): AppendOutcome {
    const check = this.checkCommit(
      streamId,
      expected,
      events.map((e) => e.id),
    );
    if (check.decision === 'deleted') return { ok: false, reason: 'stream-deleted' };
    if (check.decision === 'wrong-expected-version') {
      return { ok: false, reason: 'wrong-expected-version', actual: check.current };
    }
    if (check.decision === 'idempotent') {
      return {
        ok: true,
        revision: check.last.revision,
        commit: check.last.commit,
        prepare: check.last.prepare,
        idempotent: true,
      };
    }
    const current = check.current ?? -1n;
    if (!write) {
      const position = this.offset;
      return {
        ok: true,
        revision: current + BigInt(events.length),
        commit: position,
        prepare: position,
        idempotent: false,
      };
    }
    const written = this.writeRecords(streamId, events, current + 1n);
    if (check.softDeleted) {
      // StorageWriterService.SoftUndeleteStream: `$tb` becomes the first new revision.
      this.writeRecords(`$$${streamId}`, [metadataEvent({ $tb: Number(current + 1n) })]);
    }
    this.afterUserWrite(streamId, written);
    const last = written[written.length - 1];
    // WriteEvents.cs ClientSuccessMsg: the position of the commit, i.e. of the last event (StorageChaser
    // acks `IsCommitted|TransactionEnd` at that record's LogPosition), as both commit and prepare.
    return last
      ? { ok: true, revision: last.revision, commit: last.commit, prepare: last.prepare, idempotent: false }
      : { ok: true, revision: current, commit: this.offset, prepare: this.offset, idempotent: false };
  }

  /**
   * Soft (`hard: false`) or hard delete, as StorageWriterService.WriteDelete does, after the same commit
   * check as an append with one new event id.
   */
  delete(streamId: string, expected: ProtocolExpected, hard: boolean): AppendOutcome {
    const check = this.checkCommit(streamId, expected, [globalThis.crypto.randomUUID()]);
    if (check.decision === 'deleted') return { ok: false, reason: 'stream-deleted' };
    if (check.decision !== 'ok') {
      // (A fresh event id is never an idempotent retry.)
      const actual = check.decision === 'wrong-expected-version' ? check.current : undefined;
      return { ok: false, reason: 'wrong-expected-version', actual };
    }
    let record: LogRecord;
    if (hard) {
      [record] = this.writeRecords(streamId, [systemEvent('$streamDeleted')], DELETED_STREAM);
      this.tombstoned.add(streamId);
    } else {
      const exists = this.streams.has(streamId);
      if (!exists && !this.streams.has(`$$${streamId}`)) {
        return { ok: false, reason: 'wrong-expected-version', actual: undefined };
      }
      [record] = this.writeRecords(`$$${streamId}`, [metadataEvent({ $tb: Number(DELETED_STREAM) })]);
    }
    return {
      ok: true,
      revision: record!.revision,
      commit: record!.commit,
      prepare: record!.prepare,
      idempotent: false,
    };
  }

  /** IndexWriter.CheckCommit, over this log. */
  private checkCommit(
    streamId: string,
    expected: ProtocolExpected,
    ids: readonly string[],
  ):
    | { decision: 'ok'; current: bigint | undefined; softDeleted: boolean }
    | { decision: 'wrong-expected-version'; current: bigint | undefined }
    | { decision: 'deleted' }
    | { decision: 'idempotent'; last: LogRecord } {
    const ev =
      expected === 'any'
        ? ANY
        : expected === 'no_stream'
          ? NO_STREAM
          : expected === 'stream_exists'
            ? STREAM_EXISTS
            : expected;
    const records = this.streams.get(streamId);
    if (this.tombstoned.has(streamId)) return { decision: 'deleted' };
    if (!records && !this.streams.has(`$$${streamId}`)) {
      // CheckCommitForNewStream: only Any and NoStream may create a stream.
      return ev === ANY || ev === NO_STREAM
        ? { decision: 'ok', current: undefined, softDeleted: false }
        : { decision: 'wrong-expected-version', current: undefined };
    }
    const cur = records ? records[records.length - 1]!.revision : NO_STREAM;
    const current = records ? cur : undefined;
    const softDeleted = this.metadataOf(streamId).truncateBefore === DELETED_STREAM;
    if (ev === STREAM_EXISTS && softDeleted) return { decision: 'deleted' };
    if (ev === STREAM_EXISTS && cur < 0n && !this.streams.has(`$$${streamId}`)) {
      return { decision: 'wrong-expected-version', current };
    }
    if (ev === ANY || ev === STREAM_EXISTS) {
      let last: LogRecord | undefined;
      for (const [i, id] of ids.entries()) {
        const found = this.eventIds.get(id);
        if (!found || found.streamId !== streamId) {
          // The first id unknown: a new write. A later one: "corrupted idempotency" → wrong expected version.
          return i === 0
            ? { decision: 'ok', current, softDeleted }
            : { decision: 'wrong-expected-version', current };
        }
        last = found;
      }
      return last ? { decision: 'idempotent', last } : { decision: 'ok', current, softDeleted };
    }
    if (ev < cur) {
      let number = ev;
      for (const id of ids) {
        number += 1n;
        const found = this.eventIds.get(id);
        if (found && found.streamId === streamId && found.revision === number) continue;
        if (number !== ev + 1n) return { decision: 'wrong-expected-version', current };
        if (ev === NO_STREAM && softDeleted) return { decision: 'ok', current, softDeleted };
        return { decision: 'wrong-expected-version', current };
      }
      if (number === ev) return { decision: 'wrong-expected-version', current };
      return { decision: 'idempotent', last: records!.find((r) => r.revision === number)! };
    }
    if (ev > cur) return { decision: 'wrong-expected-version', current };
    return { decision: 'ok', current, softDeleted };
  }

  /** The stream's metadata: the last `$metadata` event of `$$stream`, as JSON. */
  private metadataOf(streamId: string): StreamMetadata {
    const meta = this.streams.get(`$$${streamId}`);
    const last = meta?.[meta.length - 1];
    if (!last) return {};
    try {
      const json = JSON.parse(Buffer.from(last.data).toString('utf8')) as Record<string, unknown>;
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
      const tb = num(json.$tb);
      return {
        maxCount: num(json.$maxCount),
        maxAgeSeconds: num(json.$maxAge),
        truncateBefore:
          tb === undefined
            ? undefined
            : tb >= Number(DELETED_STREAM)
              ? DELETED_STREAM
              : BigInt(Math.trunc(tb)),
      };
    } catch {
      return {};
    }
  }

  /** Periodic node writes and the standard projections' link events after a user write. */
  private afterUserWrite(streamId: string, written: readonly LogRecord[]): void {
    if (streamId.startsWith('$')) return;
    if (this.systemProjections && written.length > 0) this.project(streamId, written);
    if (++this.appendsSinceStats >= this.systemEventEvery) {
      // Like a real node's periodic `$statsCollected` and `$metadata` writes: system events in $all.
      this.appendsSinceStats = 0;
      this.writeRecords('$stats-127.0.0.1:2113', [systemEvent('$statsCollected')]);
      this.writeRecords(`$$${streamId}-stats`, [systemEvent('$metadata')]);
    }
  }

  /** `$by_category`, `$by_event_type`, `$streams` and `$stream_by_category`, written synchronously. */
  private project(streamId: string, written: readonly LogRecord[]): void {
    const dash = streamId.indexOf('-');
    const category = dash > 0 ? streamId.slice(0, dash) : undefined;
    const first = written[0]!.revision === 0n ? written[0] : undefined;
    if (category !== undefined) this.writeRecords(`$ce-${category}`, written.map(linkTo));
    const types = new Map<string, LogRecord[]>();
    for (const record of written) types.set(record.type, [...(types.get(record.type) ?? []), record]);
    for (const [type, records] of types) this.writeRecords(`$et-${type}`, records.map(linkTo));
    if (first) {
      this.writeRecords('$streams', [linkTo(first)]);
      if (category !== undefined) this.writeRecords(`$category-${category}`, [linkTo(first)]);
    }
  }

  private writeRecords(
    streamId: string,
    events: readonly ProposedRecord[],
    firstRevision?: bigint,
  ): LogRecord[] {
    const list = this.streams.get(streamId) ?? [];
    let revision = firstRevision ?? (list.length ? list[list.length - 1]!.revision + 1n : 0n);
    const written: LogRecord[] = [];
    for (const event of events) {
      const position = this.offset;
      const size =
        RECORD_HEADER_BYTES +
        BigInt(
          Buffer.byteLength(streamId) +
            Buffer.byteLength(event.type) +
            event.data.length +
            event.metadata.length,
        );
      const record: LogRecord = {
        ...event,
        streamId,
        revision,
        created: this.nextTicks(),
        commit: position,
        prepare: position,
        postPosition: position + size,
      };
      revision = revision === DELETED_STREAM ? revision : revision + 1n;
      this.offset = record.postPosition;
      list.push(record);
      written.push(record);
      this.records.push(record);
      if (!this.eventIds.has(event.id)) this.eventIds.set(event.id, record);
    }
    this.streams.set(streamId, list);
    for (const listener of this.listeners) listener(written);
    return written;
  }

  /** `created` ticks, strictly increasing so recorded-time reads are unambiguous. */
  private nextTicks(): bigint {
    const now = BigInt(Date.now()) * TICKS_PER_MS;
    this.lastTicks = now > this.lastTicks ? now : this.lastTicks + 1n;
    return this.lastTicks;
  }
}

/** Size of a proposed event as the server counts it against MaxAppendSize (Event.SizeOnDisk). */
export function sizeOnDisk(event: ProposedRecord): number {
  return event.data.length + event.metadata.length + event.type.length * 2;
}

function systemEvent(type: string): ProposedRecord {
  return {
    id: globalThis.crypto.randomUUID(),
    type,
    contentType: 'application/json',
    data: Buffer.from('{}'),
    metadata: new Uint8Array(),
  };
}

function metadataEvent(json: Record<string, number>): ProposedRecord {
  // JSON.stringify cannot write long.MaxValue exactly; the server writes the integer literal.
  const text = `{${Object.entries(json)
    .map(([k, v]) => `"${k}":${v >= Number(DELETED_STREAM) ? DELETED_STREAM.toString() : String(v)}`)
    .join(',')}}`;
  return { ...systemEvent('$metadata'), data: Buffer.from(text) };
}

/** A `$>` link event, as the standard projections write it: data `revision@stream`. */
function linkTo(record: LogRecord): ProposedRecord {
  return {
    id: globalThis.crypto.randomUUID(),
    type: '$>',
    contentType: 'application/octet-stream',
    data: Buffer.from(`${record.revision}@${record.streamId}`),
    metadata: Buffer.from(
      JSON.stringify({
        $v: '1:-1:1:4',
        $c: Number(record.commit),
        $p: Number(record.prepare),
        $o: record.streamId,
      }),
    ),
  };
}
