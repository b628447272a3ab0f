import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerReadableStream,
  ServerUnaryCall,
  ServerWritableStream,
} from '@grpc/grpc-js';
import * as shared from '@eventstore/db-client/generated/shared_pb';
import type { IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  ReadReq,
  ReadResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import {
  compareLogPositions,
  sizeOnDisk,
  type AppendOutcome,
  type EventStoreDBLog,
  type LogRecord,
  type ProposedRecord,
  type ProtocolExpected,
} from './eventStoreDBLog';
import {
  batchErrorStatus,
  eventResponse,
  exceptionError,
  status,
  streamDeletedError,
  streamIdentifier,
  streamName,
  uuidToString,
  wrongExpectedVersionStatus,
} from './protocol';
import type { ServerModeBehaviour } from './serverModes';
import { SimulatedSubscription, type SubscriptionTarget } from './subscriptions';

/** A fault the next append suffers (see `EventStoreDBTestServer.failNextAppend`). */
export interface AppendFault {
  /** Whether the events are written before the fault. */
  readonly committed: boolean;
  /** `lost-response`: the call fails UNAVAILABLE; `commit-timeout`: the server's commit-timeout answer. */
  readonly as: 'lost-response' | 'commit-timeout';
}

/** What the Streams service needs from the server around it (fault injection, bookkeeping). */
export interface StreamsServiceHost {
  readonly log: EventStoreDBLog;
  /** An error to answer every call with instead (e.g. "not leader"), or undefined. */
  refusal(): Error | undefined;
  /** Registers a live subscription call so faults can drop it; returns the unregister function. */
  track(
    call: ServerWritableStream<ReadReq, ReadResp>,
    subscription: { stop: () => void; fallBehind: () => void },
  ): () => void;
  /** The server version being imitated. */
  readonly mode: ServerModeBehaviour;
  /** MaxAppendSize in bytes (ClusterVNodeOptions.cs: 1_024 * 1_024). */
  readonly maxAppendSize: number;
  /** Takes the fault armed for the next append, if any. */
  takeAppendFault(): AppendFault | undefined;
}

/** Enumerator.cs `ReadBatchSize`: the search window when the client sends none. */
const DEFAULT_SEARCH_WINDOW = 32;

/** `Streams` service: Append, BatchAppend and Read (reads and catch-up subscriptions). */
export function streamsService(host: StreamsServiceHost): IStreamsServer {
  return {
    append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) =>
      append(host, call, callback),
    batchAppend: (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => batchAppend(host, call),
    read: (call: ServerWritableStream<ReadReq, ReadResp>) => read(host, call),
    delete: (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) =>
      deleteStream(host, call.request.getOptions(), false, (error, position) =>
        error
          ? callback(error)
          : callback(
              null,
              new DeleteResp().setPosition(
                new DeleteResp.Position()
                  .setCommitPosition(position.commit)
                  .setPreparePosition(position.prepare),
              ),
            ),
      ),
    tombstone: (call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>) =>
      deleteStream(host, call.request.getOptions(), true, (error, position) =>
        error
          ? callback(error)
          : callback(
              null,
              new TombstoneResp().setPosition(
                new TombstoneResp.Position()
                  .setCommitPosition(position.commit)
                  .setPreparePosition(position.prepare),
              ),
            ),
      ),
  };
}

type Answer = (error: Error | null, position: { commit: string; prepare: string }) => void;

/** Streams.Delete.cs / Streams.Tombstone.cs: soft or hard delete with an expected revision. */
function deleteStream(
  host: StreamsServiceHost,
  options: DeleteReq.Options | TombstoneReq.Options | undefined,
  hard: boolean,
  answer: Answer,
): void {
  const none = { commit: '0', prepare: '0' };
  const refusal = host.refusal();
  if (refusal) return answer(refusal, none);
  if (!options)
    return answer(exceptionError(status.INVALID_ARGUMENT, 'invalid-argument', 'no options'), none);
  const name = streamName(options.getStreamIdentifier());
  const expected = expectedOf(options);
  const outcome = host.log.delete(name, expected, hard);
  if (outcome.ok)
    return answer(null, { commit: outcome.commit.toString(), prepare: outcome.prepare.toString() });
  if (outcome.reason === 'stream-deleted') return answer(streamDeletedError(name), none);
  // RpcExceptions.WrongExpectedVersion("Delete", ...): the versions as longs (-2 any, -1 no stream, -4 exists).
  const expectedVersion =
    expected === 'any'
      ? '-2'
      : expected === 'no_stream'
        ? '-1'
        : expected === 'stream_exists'
          ? '-4'
          : expected.toString();
  const actual = outcome.actual ?? -1n;
  answer(
    exceptionError(
      status.FAILED_PRECONDITION,
      'wrong-expected-version',
      `${hard ? 'Tombstone' : 'Delete'} failed due to WrongExpectedVersion. Stream: ${name}, Expected version: ${expectedVersion}, Actual version: ${actual}`,
      { 'stream-name': name, 'expected-version': expectedVersion, 'actual-version': actual.toString() },
    ),
    none,
  );
}

/** A connection dropped before the answer arrived: UNAVAILABLE, no EventStoreDB exception. */
function lostResponse(): Error {
  return exceptionError(status.UNAVAILABLE, '', 'Connection dropped (test server fault: response lost)');
}

/** Appends, or decides without writing when a fault says the write is lost. */
function appendWithFault(
  host: StreamsServiceHost,
  name: string,
  events: readonly ProposedRecord[],
  expected: ProtocolExpected,
): { outcome: AppendOutcome; fault: AppendFault | undefined } {
  const fault = host.takeAppendFault();
  const outcome = host.log.append(name, events, expected, fault ? fault.committed : true);
  return { outcome, fault };
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
  let size = 0;
  let answered = false;
  call.on('data', (req: AppendReq) => {
    if (answered) return;
    if (req.hasOptions()) options = req.getOptions();
    else if (req.hasProposedMessage()) {
      const event = proposed(req.getProposedMessage()!);
      // Streams.Append.cs: the running Event.SizeOnDisk total is checked as each event arrives.
      size += sizeOnDisk(event);
      if (size > host.maxAppendSize) {
        answered = true;
        return callback(
          exceptionError(
            status.INVALID_ARGUMENT,
            'maximum-append-size-exceeded',
            `Maximum Append Size of ${host.maxAppendSize} Exceeded.`,
            { 'maximum-append-size': String(host.maxAppendSize) },
          ),
        );
      }
      events.push(event);
    }
  });
  call.on('error', () => undefined);
  call.on('end', () => {
    if (answered) return;
    if (!options) {
      return callback(exceptionError(status.INVALID_ARGUMENT, 'invalid-argument', 'append without options'));
    }
    const name = streamName(options.getStreamIdentifier());
    const expected = expectedOf(options);
    const { outcome, fault } = appendWithFault(host, name, events, expected);
    if (fault?.as === 'lost-response') return callback(lostResponse());
    if (fault?.as === 'commit-timeout') {
      // Streams.Append.cs: Prepare/CommitTimeout → RpcExceptions.Timeout: ABORTED, no exception key.
      const phase = fault.committed ? 'Commit' : 'Prepare';
      return callback(exceptionError(status.ABORTED, '', `Operation timed out: ${phase} phase timeout.`));
    }
    if (!outcome.ok && outcome.reason === 'stream-deleted') return callback(streamDeletedError(name));
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
    const resp = new BatchAppendResp()
      .setCorrelationId(correlation)
      .setStreamIdentifier(streamIdentifier(name));
    if (typeof expected === 'bigint') resp.setStreamPosition(expected.toString());
    else if (expected === 'no_stream') resp.setNoStream(new shared.Empty());
    else if (expected === 'stream_exists') resp.setStreamExists(new shared.Empty());
    else resp.setAny(new shared.Empty());
    // Streams.BatchAppend.cs: the request's total Event.SizeOnDisk against MaxAppendSize.
    if (events.reduce((sum, e) => sum + sizeOnDisk(e), 0) > host.maxAppendSize) {
      call.write(
        resp.setError(batchErrorStatus({ kind: 'max-append-size', maxAppendSize: host.maxAppendSize })),
      );
      return;
    }
    const { outcome, fault } = appendWithFault(host, name, events, expected);
    if (fault?.as === 'lost-response') {
      call.emit('error', lostResponse());
      return;
    }
    if (fault?.as === 'commit-timeout') {
      call.write(resp.setError(batchErrorStatus({ kind: 'timeout' })));
      return;
    }
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
    } else if (outcome.reason === 'stream-deleted') {
      resp.setError(batchErrorStatus({ kind: 'stream-deleted', stream: name }));
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
  readonly resolveLinks: boolean;
  readonly backwards: boolean;
  readonly count: number;
  readonly filter: ((record: LogRecord) => boolean) | undefined;
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

/** The response for a record; a `$>` link is resolved to its target when the client asked for it. */
function responder(host: StreamsServiceHost, plan: ReadPlan): (record: LogRecord) => ReadResp {
  return (record) => {
    if (plan.resolveLinks && record.type === '$>') {
      const text = Buffer.from(record.data).toString('utf8');
      const at = text.indexOf('@');
      const revision = at > 0 ? BigInt(text.slice(0, at)) : -1n;
      const target = host.log.stream(text.slice(at + 1))?.find((r) => r.revision === revision);
      if (target) return eventResponse(target, plan.structuredIds, record);
    }
    return eventResponse(record, plan.structuredIds);
  };
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
  const plan: ReadPlan = {
    structuredIds: options.getUuidOption()?.hasStructured() ?? false,
    resolveLinks: options.getResolveLinks(),
    backwards: options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS,
    count: options.hasCount() ? Number(options.getCount()) : Number.MAX_SAFE_INTEGER,
    filter: compileFilter(options),
  };
  if (options.hasSubscription()) return subscribe(host, call, options, plan);
  const records = options.hasStream()
    ? readStream(host, call, options.getStream()!, plan)
    : readAll(host, options.getAll()!, plan);
  if (records === undefined) return;
  const respond = responder(host, plan);
  let sent = 0;
  for (const record of records) {
    if (sent >= plan.count) break;
    if (plan.filter && !plan.filter(record)) continue;
    call.write(respond(record));
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
  const found = host.log.readStream(name);
  if (found.kind === 'deleted') {
    // A tombstoned stream: RpcExceptions.StreamDeleted.
    call.emit('error', streamDeletedError(name));
    return undefined;
  }
  if (found.kind === 'not-found') {
    // A missing (or soft-deleted) stream is a response message, not a gRPC error.
    call.write(
      new ReadResp().setStreamNotFound(
        new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name)),
      ),
    );
    call.end();
    return undefined;
  }
  const records = found.records;
  const last = records[records.length - 1]?.revision ?? -1n;
  if (plan.backwards) {
    const from = options.hasRevision() ? BigInt(options.getRevision()) : last;
    return records.filter((r) => r.revision <= from).reverse();
  }
  const from = options.hasRevision() ? BigInt(options.getRevision()) : options.hasEnd() ? last + 1n : 0n;
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
  let target: SubscriptionTarget;
  if (options.hasAll()) {
    const filter = options.hasFilter() ? options.getFilter() : undefined;
    // Streams.Read.cs: `max` is the search window; `count` (the client's default) means none given.
    const window = filter?.hasMax() ? filter.getMax() : DEFAULT_SEARCH_WINDOW;
    target = {
      kind: 'all',
      from: allStart(options.getAll()!),
      // No filter (the client sends `no_filter`): every record, system ones included, and no checkpoints.
      filter: plan.filter,
      maxSearchWindow: window,
      checkpointInterval: Math.max(1, (filter?.getCheckpointintervalmultiplier() || 1) * window),
    };
  } else {
    const stream = options.getStream()!;
    target = {
      kind: 'stream',
      stream: streamName(stream.getStreamIdentifier()),
      from: stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start',
    };
  }
  let stopped = false;
  const respond = responder(host, plan);
  const subscription = new SimulatedSubscription(host.log, host.mode, target, {
    write: (resp) => {
      if (!stopped) call.write(resp);
    },
    fail: (error) => {
      if (stopped) return;
      stop();
      call.emit('error', error);
    },
    event: respond,
  });
  const stop = () => {
    stopped = true;
    subscription.stop();
    unlisten();
    untrack();
  };
  let unlisten: () => unknown = () => undefined;
  let untrack: () => unknown = () => undefined;
  call.on('cancelled', stop);
  call.on('error', stop);
  call.on('close', stop);
  subscription.start();
  if (stopped) return;
  unlisten = host.log.onAppend((records) => subscription.onAppend(records));
  untrack = host.track(call, { stop, fallBehind: () => subscription.fallBehind() });
}

/** The expected revision an Append or Delete request carries (the two spell it the same way). */
function expectedOf(options: {
  hasRevision(): boolean;
  getRevision(): string;
  hasNoStream(): boolean;
  hasStreamExists(): boolean;
}): ProtocolExpected {
  if (options.hasRevision()) return BigInt(options.getRevision());
  if (options.hasNoStream()) return 'no_stream';
  return options.hasStreamExists() ? 'stream_exists' : 'any';
}
