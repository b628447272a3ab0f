import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerWritableStream,
} from '@grpc/grpc-js';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import {
  compareLogPositions,
  type EventStoreDBLog,
  type LogRecord,
  type ProposedRecord,
  type ProtocolExpected,
} from './eventStoreDBLog';
import {
  eventResponse,
  exceptionError,
  status,
  streamIdentifier,
  streamName,
  uuidToString,
  wrongExpectedVersionStatus,
} from './protocol';

/** What the Streams service needs from the server around it (fault injection, bookkeeping). */
export interface StreamsServiceHost {
  readonly log: EventStoreDBLog;
  /** An error to answer every call with instead (e.g. "not leader"), or undefined. */
  refusal(): Error | undefined;
  /** Registers a live subscription call so faults can drop it; returns the unregister function. */
  track(call: ServerWritableStream<ReadReq, ReadResp>, stop: () => void): () => void;
}

const DEFAULT_SEARCH_WINDOW = 32;

/** `Streams` service: Append, BatchAppend and Read (reads and catch-up subscriptions). */
export function streamsService(host: StreamsServiceHost): IStreamsServer {
  return {
    append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) =>
      append(host, call, callback),
    batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => batchAppend(host, call),
    read: (call: ServerWritableStream<ReadReq, ReadResp>) => read(host, call),
    delete: (_call, callback) =>
      callback(
        exceptionError(status.UNIMPLEMENTED, 'unsupported', 'delete is not supported by the test server'),
      ),
    tombstone: (_call, callback) =>
      callback(
        exceptionError(status.UNIMPLEMENTED, 'unsupported', 'tombstone is not supported by the test server'),
      ),
  };
}

function proposed(message: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage): ProposedRecord {
  const map = message.getMetadataMap();
  return {
    id: uuidToString(message.getId()),
    type: map.get('type') ?? '',
    contentType: map.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

function append(
  host: StreamsServiceHost,
  call: ServerReadableStream<AppendReq, AppendResp>,
  callback: sendUnaryData<AppendResp>,
): void {
  const refusal = host.refusal();
  if (refusal) return callback(refusal);
  let options: AppendReq.Options | undefined;
  const events: ProposedRecord[] = [];
  call.on('data', (req: AppendReq) => {
    if (req.hasOptions()) options = req.getOptions();
    else if (req.hasProposedMessage()) events.push(proposed(req.getProposedMessage()!));
  });
  call.on('error', () => undefined);
  call.on('end', () => {
    if (!options) {
      return callback(exceptionError(status.INVALID_ARGUMENT, 'invalid-argument', 'append without options'));
    }
    const name = streamName(options.getStreamIdentifier());
    const expected: ProtocolExpected = options.hasRevision()
      ? BigInt(options.getRevision())
      : options.hasNoStream()
        ? 'no_stream'
        : options.hasStreamExists()
          ? 'stream_exists'
          : 'any';
    const outcome = host.log.append(name, events, expected);
    const resp = new AppendResp();
    if (outcome.ok) {
      resp.setSuccess(
        new AppendResp.Success()
          .setCurrentRevision(outcome.revision.toString())
          .setPosition(
            new AppendResp.Position()
              .setCommitPosition(outcome.commit.toString())
              .setPreparePosition(outcome.prepare.toString()),
          ),
      );
    } else {
      // First error channel: a successful call whose response says "wrong expected version".
      const wev = new AppendResp.WrongExpectedVersion();
      if (outcome.actual === undefined) wev.setCurrentNoStream(new shared.Empty());
      else wev.setCurrentRevision(outcome.actual.toString());
      if (expected === 'any') wev.setExpectedAny(new shared.Empty());
      else if (expected === 'no_stream') wev.setExpectedNoStream(new shared.Empty());
      else if (expected === 'stream_exists') wev.setExpectedStreamExists(new shared.Empty());
      else wev.setExpectedRevision(expected.toString());
      resp.setWrongExpectedVersion(wev);
    }
    callback(null, resp);
  });
}

function batchAppend(
  host: StreamsServiceHost,
  call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>,
): void {
  const refusal = host.refusal();
  if (refusal) {
    call.emit('error', refusal);
    return;
  }
  const pending = new Map<string, { options: BatchAppendReq.Options; events: ProposedRecord[] }>();
  call.on('data', (req: BatchAppendReq) => {
    const correlation = req.getCorrelationId();
    const key = uuidToString(correlation);
    let entry = pending.get(key);
    if (!entry) {
      entry = { options: req.getOptions() ?? new BatchAppendReq.Options(), events: [] };
      pending.set(key, entry);
    }
    for (const message of req.getProposedMessagesList()) entry.events.push(proposed(message));
    if (!req.getIsFinal()) return;
    pending.delete(key);
    const refused = host.refusal();
    if (refused) {
      call.emit('error', refused);
      return;
    }
    const { options, events } = entry;
    const name = streamName(options.getStreamIdentifier());
    const expected: ProtocolExpected = options.hasStreamPosition()
      ? BigInt(options.getStreamPosition())
      : options.hasNoStream()
        ? 'no_stream'
        : options.hasStreamExists()
          ? 'stream_exists'
          : 'any';
    const outcome = host.log.append(name, events, expected);
    const resp = new BatchAppendResp()
      .setCorrelationId(correlation)
      .setStreamIdentifier(streamIdentifier(name));
    if (typeof expected === 'bigint') resp.setStreamPosition(expected.toString());
    else if (expected === 'no_stream') resp.setNoStream(new shared.Empty());
    else if (expected === 'stream_exists') resp.setStreamExists(new shared.Empty());
    else resp.setAny(new shared.Empty());
    if (outcome.ok) {
      resp.setSuccess(
        new BatchAppendResp.Success()
          .setCurrentRevision(outcome.revision.toString())
          .setPosition(
            new shared.AllStreamPosition()
              .setCommitPosition(outcome.commit.toString())
              .setPreparePosition(outcome.prepare.toString()),
          ),
      );
    } else {
      // Second error channel: google.rpc.Status with a packed WrongExpectedVersion.
      resp.setError(wrongExpectedVersionStatus(expected, outcome.actual));
    }
    call.write(resp);
  });
  call.on('error', () => undefined);
  call.on('end', () => call.end());
}

interface ReadPlan {
  readonly structuredIds: boolean;
  readonly backwards: boolean;
  readonly count: number;
  readonly filter: ((record: LogRecord) => boolean) | undefined;
  readonly checkpointEvery: number;
}

function compileFilter(options: ReadReq.Options): ReadPlan['filter'] {
  if (!options.hasFilter()) return undefined;
  const f = options.getFilter()!;
  const expression = f.hasEventType() ? f.getEventType()! : f.getStreamIdentifier();
  if (!expression) return undefined;
  const field = (r: LogRecord) => (f.hasEventType() ? r.type : r.streamId);
  const regex = expression.getRegex();
  const prefixes = expression.getPrefixList();
  if (regex) {
    const re = new RegExp(regex);
    return (r) => re.test(field(r));
  }
  return (r) => prefixes.some((p) => field(r).startsWith(p));
}

function read(host: StreamsServiceHost, call: ServerWritableStream<ReadReq, ReadResp>): void {
  const refusal = host.refusal();
  if (refusal) {
    call.emit('error', refusal);
    return;
  }
  const options = call.request.getOptions();
  if (!options) {
    call.emit('error', exceptionError(status.INVALID_ARGUMENT, 'invalid-argument', 'read without options'));
    return;
  }
  const filter = options.hasFilter() ? options.getFilter() : undefined;
  const window = filter?.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
  const plan: ReadPlan = {
    structuredIds: options.getUuidOption()?.hasStructured() ?? false,
    backwards: options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS,
    count: options.hasCount() ? Number(options.getCount()) : Number.MAX_SAFE_INTEGER,
    filter: compileFilter(options),
    checkpointEvery: Math.max(1, (filter?.getCheckpointintervalmultiplier() || 1) * window),
  };
  if (options.hasSubscription()) return subscribe(host, call, options, plan);
  const records = options.hasStream()
    ? readStream(host, call, options.getStream()!, plan)
    : readAll(host, options.getAll()!, plan);
  if (records === undefined) return;
  let sent = 0;
  for (const record of records) {
    if (sent >= plan.count) break;
    if (plan.filter && !plan.filter(record)) continue;
    call.write(eventResponse(record, plan.structuredIds));
    sent++;
  }
  call.end();
}

function readStream(
  host: StreamsServiceHost,
  call: ServerWritableStream<ReadReq, ReadResp>,
  options: ReadReq.Options.StreamOptions,
  plan: ReadPlan,
): readonly LogRecord[] | undefined {
  const name = streamName(options.getStreamIdentifier());
  const records = host.log.stream(name);
  if (!records) {
    // A missing stream is a response message, not a gRPC error.
    call.write(
      new ReadResp().setStreamNotFound(
        new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name)),
      ),
    );
    call.end();
    return undefined;
  }
  if (plan.backwards) {
    const from = options.hasRevision() ? BigInt(options.getRevision()) : BigInt(records.length - 1);
    return records.filter((r) => r.revision <= from).reverse();
  }
  const from = options.hasRevision()
    ? BigInt(options.getRevision())
    : options.hasEnd()
      ? BigInt(records.length)
      : 0n;
  return records.filter((r) => r.revision >= from);
}

function allStart(
  options: ReadReq.Options.AllOptions,
): { commit: bigint; prepare: bigint } | 'start' | 'end' {
  if (options.hasPosition()) {
    const p = options.getPosition()!;
    return { commit: BigInt(p.getCommitPosition()), prepare: BigInt(p.getPreparePosition()) };
  }
  return options.hasEnd() ? 'end' : 'start';
}

function readAll(host: StreamsServiceHost, options: ReadReq.Options.AllOptions, plan: ReadPlan): LogRecord[] {
  const from = allStart(options);
  const records = host.log.records;
  if (plan.backwards) {
    // Backwards from a position: the events strictly before it.
    if (from === 'start') return [];
    const before = from === 'end' ? records : records.filter((r) => compareLogPositions(r, from) < 0);
    return [...before].reverse();
  }
  // Forwards from a position: that event included (reads are inclusive; subscriptions are not).
  if (from === 'end') return [];
  return from === 'start' ? [...records] : records.filter((r) => compareLogPositions(r, from) >= 0);
}

function subscribe(
  host: StreamsServiceHost,
  call: ServerWritableStream<ReadReq, ReadResp>,
  options: ReadReq.Options,
  plan: ReadPlan,
): void {
  const toAll = options.hasAll();
  let accept: (record: LogRecord) => boolean;
  if (toAll) {
    const from = allStart(options.getAll()!);
    const head = host.log.records[host.log.records.length - 1];
    const after = from === 'end' ? head : from === 'start' ? undefined : from;
    accept = (r) => after === undefined || compareLogPositions(r, after) > 0;
  } else {
    const stream = options.getStream()!;
    const name = streamName(stream.getStreamIdentifier());
    const existing = host.log.stream(name);
    const after = stream.hasRevision()
      ? BigInt(stream.getRevision())
      : stream.hasEnd()
        ? existing
          ? BigInt(existing.length - 1)
          : -1n
        : -1n;
    accept = (r) => r.streamId === name && r.revision > after;
  }
  let stopped = false;
  let scanned = 0;
  const deliver = (record: LogRecord) => {
    if (!accept(record)) return;
    scanned++;
    if (!plan.filter || plan.filter(record)) call.write(eventResponse(record, plan.structuredIds));
    if (toAll && plan.filter && scanned % plan.checkpointEvery === 0) {
      call.write(
        new ReadResp().setCheckpoint(
          new ReadResp.Checkpoint()
            .setCommitPosition(record.commit.toString())
            .setPreparePosition(record.prepare.toString()),
        ),
      );
    }
  };
  const stop = () => {
    stopped = true;
    unlisten();
    untrack();
  };
  // Live events that arrive while catching up are queued, then sent in order after the history.
  const queued: LogRecord[] = [];
  let live = false;
  const unlisten = host.log.onAppend((records) => {
    if (stopped) return;
    if (!live) queued.push(...records);
    else for (const record of records) deliver(record);
  });
  const untrack = host.track(call, stop);
  call.on('cancelled', stop);
  call.on('error', stop);
  call.on('close', stop);
  call.write(
    new ReadResp().setConfirmation(
      new ReadResp.SubscriptionConfirmation().setSubscriptionId(globalThis.crypto.randomUUID()),
    ),
  );
  for (const record of [...host.log.records]) deliver(record);
  live = true;
  call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
  for (const record of queued.splice(0)) deliver(record);
}
