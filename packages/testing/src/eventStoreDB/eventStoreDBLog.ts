/**
 * The test server's storage: one in-memory log shaped like EventStoreDB's transaction file, with sparse
 * `{commit, prepare}` byte offsets, system events and `created` in 100 ns ticks since the Unix epoch.
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
  readonly commit: bigint;
  readonly prepare: bigint;
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

/** What an append did: written (last revision and positions) or refused (actual revision). */
export type AppendOutcome =
  | { readonly ok: true; readonly revision: bigint; readonly commit: bigint; readonly prepare: bigint }
  | { readonly ok: false; readonly actual: bigint | undefined };

const RECORD_HEADER_BYTES = 89n;
const TICKS_PER_MS = 10_000n;

/** Compares two records' places in `$all`. */
export function compareLogPositions(
  a: { commit: bigint; prepare: bigint },
  b: { commit: bigint; prepare: bigint },
): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The log itself. Survives server restarts because the server keeps the same instance. */
export class EventStoreDBLog {
  readonly records: LogRecord[] = [];
  private readonly streams = new Map<string, LogRecord[]>();
  private offset = 0n;
  private lastTicks = 0n;
  private readonly listeners = new Set<(records: readonly LogRecord[]) => void>();
  private appendsSinceStats = 0;

  constructor(private readonly systemEventEvery = 7) {
    // What a fresh EventStoreDB node writes to its own log before any user event.
    this.write('$epoch-information', [systemEvent('$epoch-information')], 'any');
    this.write('$projections-$all', [systemEvent('$ProjectionsInitialized')], 'any');
  }

  /** Records of one stream, or undefined when it does not exist. */
  stream(streamId: string): readonly LogRecord[] | undefined {
    return this.streams.get(streamId);
  }

  /** Calls `listener` with every batch written from now on. */
  onAppend(listener: (records: readonly LogRecord[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends atomically after checking the expected revision, as EventStoreDB does. */
  append(streamId: string, events: readonly ProposedRecord[], expected: ProtocolExpected): AppendOutcome {
    const outcome = this.write(streamId, events, expected);
    if (outcome.ok && !streamId.startsWith('$') && ++this.appendsSinceStats >= this.systemEventEvery) {
      // Like a real node's periodic `$statsCollected` and `$metadata` writes: system events in $all.
      this.appendsSinceStats = 0;
      this.write('$stats-127.0.0.1:2113', [systemEvent('$statsCollected')], 'any');
      this.write(`$$${streamId}`, [systemEvent('$metadata')], 'any');
    }
    return outcome;
  }

  private write(
    streamId: string,
    events: readonly ProposedRecord[],
    expected: ProtocolExpected,
  ): AppendOutcome {
    const existing = this.streams.get(streamId);
    const actual = existing ? BigInt(existing.length - 1) : undefined;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === undefined) ||
      (expected === 'stream_exists' && actual !== undefined) ||
      (typeof expected === 'bigint' && expected === actual);
    if (!ok) return { ok: false, actual };
    const list = existing ?? [];
    const commit = this.offset;
    const written: LogRecord[] = [];
    for (const event of events) {
      const prepare = this.offset;
      const record: LogRecord = {
        ...event,
        streamId,
        revision: BigInt(list.length),
        created: this.nextTicks(),
        commit,
        prepare,
      };
      list.push(record);
      written.push(record);
      this.records.push(record);
      this.offset +=
        RECORD_HEADER_BYTES +
        BigInt(streamId.length + event.type.length + event.data.length + event.metadata.length);
    }
    this.offset += 32n; // the commit record
    this.streams.set(streamId, list);
    for (const listener of this.listeners) listener(written);
    const last = written[written.length - 1];
    return last
      ? { ok: true, revision: last.revision, commit: last.commit, prepare: last.prepare }
      : { ok: true, revision: actual ?? -1n, commit: this.offset, prepare: this.offset };
  }

  /** `created` ticks, strictly increasing so recorded-time reads are unambiguous. */
  private nextTicks(): bigint {
    const now = BigInt(Date.now()) * TICKS_PER_MS;
    this.lastTicks = now > this.lastTicks ? now : this.lastTicks + 1n;
    return this.lastTicks;
  }
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
