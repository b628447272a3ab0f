import { afterEach, describe, expect, it } from '@jest/globals';
import { credentials } from '@grpc/grpc-js';
import {
  END,
  EventStoreDBClient,
  eventTypeFilter,
  jsonEvent,
  START,
  TimeoutError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
} from '@eventstore/db-client';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { Empty } from '@eventstore/db-client/generated/shared_pb';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import {
  EVENTSTOREDB_SERVER_MODES,
  EventStoreDBTestServer,
  type EventStoreDBServerMode,
} from '@rewind/testing/eventstoredb';

// Per-mode conformance of the test server's subscriptions, written from EventStoreDB's server source
// (EventStore/EventStore; file names below) and driven through the real, unmodified @eventstore/db-client 6.2.1.
// Nothing here waits for time to pass: each test waits for a message, then checks what came before it
// (messages on one call arrive in the order the server wrote them).

const ULONG_MAX = 18_446_744_073_709_551_615n;
const event = (type: string) => jsonEvent({ type, data: {} });

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function until(test: () => boolean, describe: () => string, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () =>
      test()
        ? resolve()
        : Date.now() - started > ms
          ? reject(new Error(`timed out waiting; saw ${describe()}`))
          : setTimeout(poll, 5);
    poll();
  });
}

type Message =
  | { kind: 'event'; type: string; position: Position }
  | { kind: 'checkpoint'; position: Position }
  | { kind: 'caught-up' }
  | { kind: 'fell-behind' };

/** Everything a subscription delivers, in order. */
function record(subscribe: (checkpointReached: (s: unknown, p: Position) => void) => AllStreamSubscription) {
  const messages: Message[] = [];
  const errors: unknown[] = [];
  const sub = subscribe((_s, position) => {
    messages.push({ kind: 'checkpoint', position });
  });
  sub.on('data', (e: AllStreamResolvedEvent) =>
    messages.push({ kind: 'event', type: e.event!.type, position: e.event!.position }),
  );
  sub.on('caughtUp', () => messages.push({ kind: 'caught-up' }));
  sub.on('fellBehind', () => messages.push({ kind: 'fell-behind' }));
  sub.on('error', (error) => errors.push(error));
  const show = () => messages.map((m) => m.kind + ('type' in m ? `:${m.type}` : '')).join(',');
  return {
    sub,
    messages,
    errors,
    checkpoints: () => messages.flatMap((m) => (m.kind === 'checkpoint' ? [m.position] : [])),
    sawEvent: (type: string) =>
      until(() => messages.some((m) => m.kind === 'event' && m.type === type), show),
    sawCount: (kind: Message['kind'], n: number) =>
      until(() => messages.filter((m) => m.kind === kind).length >= n, show),
    before: (type: string) =>
      messages.slice(
        0,
        messages.findIndex((m) => m.kind === 'event' && m.type === type),
      ),
  };
}

const expectedVersion: Record<EventStoreDBServerMode, string> = {
  '22.10': '22.10.5',
  '23.10': '23.10.3',
  '24.10.0': '24.10.4',
  '25.0.0': '25.0.0',
  '24.10.5': '24.10.5',
};

describe.each(EVENTSTOREDB_SERVER_MODES)('EventStoreDB test server in mode %s', (mode) => {
  const open: { server: EventStoreDBTestServer; client: EventStoreDBClient }[] = [];
  const start = async (options: { systemProjections?: boolean } = {}) => {
    const server = await EventStoreDBTestServer.start({ version: mode, ...options });
    const client = EventStoreDBClient.connectionString(server.connectionString);
    open.push({ server, client });
    return { server, client };
  };
  afterEach(async () => {
    for (const { server, client } of open.splice(0)) {
      await client.dispose();
      await server.stop();
    }
  });
  const classic = mode === '22.10' || mode === '23.10';

  it('reports the imitated version through ServerFeatures.GetSupportedMethods', async () => {
    const { server } = await start();
    expect(server.version).toBe(expectedVersion[mode]);
    const features = new ServerFeaturesClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const methods = await new Promise<SupportedMethods>((resolve, reject) =>
        features.getSupportedMethods(new Empty(), (error, value) => (error ? reject(error) : resolve(value))),
      );
      expect(methods.getEventStoreServerVersion()).toBe(expectedVersion[mode]);
    } finally {
      features.close();
    }
  });

  // CaughtUp was added in 23.10 (commit 80d654647, Grpc/Enumerators.AllSubscriptionFiltered.cs PumpLiveMessages).
  it(`${mode === '22.10' ? 'sends no' : 'sends a'} caught-up message when a $all subscription goes live`, async () => {
    const { client } = await start();
    await client.appendToStream('cu-1', [event('history')]);
    const w = record(() => client.subscribeToAll({ fromPosition: START }));
    try {
      await w.sawEvent('history');
      await client.appendToStream('cu-1', [event('live-marker')]);
      await w.sawEvent('live-marker');
      const caughtUps = w.before('live-marker').filter((m) => m.kind === 'caught-up');
      expect(caughtUps).toHaveLength(mode === '22.10' ? 0 : 1);
      // no filter (the client sends no_filter): every record, system ones included (Streams.Read.cs NoFilter)
      const delivered = w.before('live-marker').flatMap((m) => (m.kind === 'event' ? [m.type] : []));
      expect(delivered).toContain('$epoch-information');
      expect(delivered).toContain('$>');
    } finally {
      await w.sub.unsubscribe();
    }
  });

  // KDB-710 (Enumerator.AllSubscriptionFiltered.cs v24.10.4 ConvertCheckpoint → TFPos(-1,-1), sent by
  // SendCheckpointToSubscription when catch-up ends; Position.FromInt64(-1,-1) = ulong.MaxValue both).
  // Fixed by #4892/#4893 (release/v24.10, v25.0.0): checkpoint = max(checkpoint, page start (0,0)).
  // 22.10/23.10 send no checkpoint when catch-up ends (Grpc/Enumerators.AllSubscriptionFiltered.cs CatchUp).
  it('ends catch-up of a filtered subscription from the start that matched nothing as the version does (KDB-710)', async () => {
    const { client } = await start();
    await client.appendToStream('kdb710-1', [event('ignored')]);
    const w = record((checkpointReached) =>
      client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({ prefixes: ['marker'], checkpointInterval: 1000, checkpointReached }),
      }),
    );
    try {
      if (mode !== '22.10') await w.sawCount('caught-up', 1);
      await client.appendToStream('kdb710-1', [event('marker')]);
      await w.sawEvent('marker');
      const checkpoints = w.before('marker').flatMap((m) => (m.kind === 'checkpoint' ? [m.position] : []));
      if (classic) expect(checkpoints).toEqual([]);
      else if (mode === '24.10.0') expect(checkpoints).toEqual([{ commit: ULONG_MAX, prepare: ULONG_MAX }]);
      else expect(checkpoints).toEqual([{ commit: 0n, prepare: 0n }]);
    } finally {
      await w.sub.unsubscribe();
    }
  });

  // KDB-744: #4892 ends catch-up at max(last event, page start); an empty last page (the previous page was
  // full and reached the end of the log) starts at (end of log, 0) — the position the next event gets.
  // 24.10.4 ends at the last event sent (source); 24.10.5/25.0.1 (#4975, from the pull request's text)
  // no longer use an empty page's start. AllReader.cs ReadAllEventsForwardInternal: nextPos = (post, 0).
  it('ends catch-up after an empty last page as the version does (KDB-744)', async () => {
    const { client } = await start();
    await client.appendToStream('kdb744-1', [event('wanted'), event('other')]);
    const log = await all(client.readAll());
    const wanted = log.find((e) => e.event!.type === 'wanted')!.event!.position;
    const w = record((checkpointReached) =>
      client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({
          prefixes: ['wanted', 'marker'],
          // One page holds the whole log exactly, so the next page is empty and at the end.
          maxSearchWindow: log.length,
          checkpointInterval: 1000,
          checkpointReached,
        }),
      }),
    );
    try {
      if (mode !== '22.10') await w.sawCount('caught-up', 1);
      await client.appendToStream('kdb744-2', [event('marker')]);
      await w.sawEvent('marker');
      const marker = w.messages.find((m) => m.kind === 'event' && m.type === 'marker') as {
        position: Position;
      };
      const checkpoints = w.before('marker').flatMap((m) => (m.kind === 'checkpoint' ? [m.position] : []));
      if (classic) expect(checkpoints).toEqual([]);
      else if (mode === '25.0.0') {
        // commit = end of the log, prepare 0: the commit position the next event got.
        expect(checkpoints).toEqual([{ commit: marker.position.commit, prepare: 0n }]);
      } else expect(checkpoints).toEqual([wanted]);
    } finally {
      await w.sub.unsubscribe();
    }
  });

  // Catch-up checkpoints at page granularity: rewritten engine `checkpoint = completed.CurrentPos` (the
  // page's start); classic engine: the last event of the page or CurrentPos when it sent none (issue #3989).
  it('sends catch-up checkpoints at page starts (X, 0) when nothing matched', async () => {
    const { client } = await start();
    for (let i = 0; i < 4; i++) await client.appendToStream(`page-${i}`, [event('ignored')]);
    const log = await all(client.readAll());
    const window = 4;
    const w = record((checkpointReached) =>
      client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({
          prefixes: ['marker'],
          maxSearchWindow: window,
          checkpointInterval: 1,
          checkpointReached,
        }),
      }),
    );
    try {
      if (mode !== '22.10') await w.sawCount('caught-up', 1);
      await client.appendToStream('page-x', [event('marker')]);
      await w.sawEvent('marker');
      const checkpoints = w.before('marker').flatMap((m) => (m.kind === 'checkpoint' ? [m.position] : []));
      // page k starts where the (k·window)-th record ends: the next record's position, prepare 0
      const pageStarts = [{ commit: 0n, prepare: 0n }];
      for (let k = window; k < log.length; k += window) {
        pageStarts.push({ commit: log[k]!.event!.position.commit, prepare: 0n });
      }
      const fullPages = Math.floor(log.length / window);
      expect(fullPages).toBeGreaterThan(1);
      expect(checkpoints.slice(0, fullPages)).toEqual(pageStarts.slice(0, fullPages));
      for (const c of checkpoints.slice(0, fullPages)) expect(c.prepare).toBe(0n);
    } finally {
      await w.sub.unsubscribe();
    }
  });

  // SubscriptionsService.ProcessEventCommited: every committed event counts (system events too); the Nth
  // sends CheckpointReached at that event's position. Interval = maxSearchWindow × multiplier.
  it('sends live checkpoints every maxSearchWindow × multiplier events of any stream', async () => {
    const { client } = await start();
    const before = (await all(client.readAll())).length;
    const w = record((checkpointReached) =>
      client.subscribeToAll({
        fromPosition: END,
        filter: eventTypeFilter({
          prefixes: ['never'],
          maxSearchWindow: 4,
          checkpointInterval: 2,
          checkpointReached,
        }),
      }),
    );
    try {
      if (mode !== '22.10') await w.sawCount('caught-up', 1);
      for (let i = 0; i < 6; i++) await client.appendToStream(`live-${i}`, [event('user'), event('user2')]);
      const log = await all(client.readAll());
      const newRecords = log.slice(before);
      const expected = newRecords.filter((_, i) => (i + 1) % 8 === 0).map((e) => e.event!.position);
      expect(newRecords.some((e) => e.event!.streamId.startsWith('$'))).toBe(true);
      expect(expected.length).toBeGreaterThan(1);
      await w.sawCount('checkpoint', expected.length);
      expect(w.checkpoints()).toEqual(expected);
      for (const c of expected) expect(c.commit).toBe(c.prepare);
    } finally {
      await w.sub.unsubscribe();
    }
  });

  // Enumerator.AllSubscriptionFiltered.cs GoLive (24.2+): a gap in the live channel → fell behind,
  // a checkpoint, CatchUp, GoLive → caught-up again; fell-behind not sent (Streams.Read.cs:281) until
  // 24.10.5 (#5034, pull request text). Classic: ConsumerTooSlow → RpcExceptions.Timeout (ABORTED).
  it(`${classic ? 'ends the call with ABORTED' : 'catches up again and sends caught-up again'} when a subscription falls behind`, async () => {
    const { client, server } = await start();
    await client.appendToStream('fb-1', [event('wanted')]);
    const w = record((checkpointReached) =>
      client.subscribeToAll({
        fromPosition: START,
        filter: eventTypeFilter({ prefixes: ['wanted'], checkpointReached }),
      }),
    );
    try {
      await w.sawEvent('wanted');
      if (mode !== '22.10') await w.sawCount('caught-up', 1);
      await until(
        () => server.subscriptionCount === 1,
        () => 'no subscription',
      );
      expect(server.fallBehind()).toBe(1);
      if (classic) {
        await until(
          () => w.errors.length > 0,
          () => 'no error',
        );
        expect(w.errors[0]).toBeInstanceOf(TimeoutError);
        return;
      }
      await w.sawCount('caught-up', 2);
      await client.appendToStream('fb-1', [event('wanted')]);
      await until(
        () => w.messages.filter((m) => m.kind === 'event').length === 2,
        () => JSON.stringify(w.messages.map((m) => m.kind)),
      );
      const kinds = w.messages.map((m) => m.kind);
      const second = kinds.lastIndexOf('caught-up');
      const first = kinds.indexOf('caught-up');
      expect(kinds.slice(first + 1, second).includes('fell-behind')).toBe(mode === '24.10.5');
      expect(kinds.filter((k) => k === 'event')).toHaveLength(2);
    } finally {
      await w.sub.unsubscribe();
    }
  });
});
