import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jsonEvent } from '@eventstore/db-client';
import { ConfigurationError } from '@rewind/core';
import { EventStoreDBEventStore } from '@rewind/eventstoredb';
import { collect, testEvent } from '@rewind/testing';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { randomUUID } from 'node:crypto';
import { REAL_SERVER_URL, startTarget, type EventStoreDBTarget } from './eventStoreDBTarget';

describe('EventStoreDBEventStore metadata: correlation and causation under EventStoreDB names', () => {
  let target: EventStoreDBTarget;
  let store: EventStoreDBEventStore;
  beforeAll(async () => {
    target = await startTarget(true);
    store = new EventStoreDBEventStore({ connectionString: target.connectionString });
  });
  afterAll(async () => {
    await store.close();
    await target.dispose();
  });

  it('writes $correlationId and $causationId (what $by_correlation_id reads) and reads them back as Rewind names', async () => {
    const stream = `meta${randomUUID().replace(/-/g, '')}`;
    await store.append(stream, [testEvent('noted', {}, { tenant: 't-1' })]);
    const [raw] = await collect(store.client.readStream(stream));
    expect(raw!.event!.metadata).toEqual({
      schemaVersion: 1,
      $correlationId: 'corr-1',
      $causationId: 'cause-1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      tenant: 't-1',
    });
    const [event] = await collect(store.readStream(stream));
    expect(event!.metadata).toEqual({
      schemaVersion: 1,
      correlationId: 'corr-1',
      causationId: 'cause-1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      tenant: 't-1',
    });
  });

  it('keeps the trace context of the append ($traceparent, $tracestate) in EventStoreDB metadata, and reads it back', async () => {
    const stream = `trace${randomUUID().replace(/-/g, '')}`;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const event = testEvent('noted', {});
    await store.append(stream, [
      { ...event, metadata: { ...event.metadata, $traceparent: traceparent, $tracestate: 'vendor=1' } },
    ]);
    const [raw] = await collect(store.client.readStream(stream));
    expect(raw!.event!.metadata).toMatchObject({ $traceparent: traceparent, $tracestate: 'vendor=1' });
    const [read] = await collect(store.readStream(stream));
    expect(read!.metadata).toMatchObject({ $traceparent: traceparent, $tracestate: 'vendor=1' });
  });

  it('reads events written before the change (correlationId/causationId) the same way', async () => {
    const stream = `old${randomUUID().replace(/-/g, '')}`;
    await store.client.appendToStream(
      stream,
      jsonEvent({
        type: 'noted',
        data: {},
        metadata: {
          schemaVersion: 1,
          correlationId: 'old-corr',
          causationId: 'old-cause',
          occurredAt: '2025-06-01T00:00:00.000Z',
        },
      }),
    );
    const [event] = await collect(store.readStream(stream));
    expect(event!.metadata).toEqual({
      schemaVersion: 1,
      correlationId: 'old-corr',
      causationId: 'old-cause',
      occurredAt: '2025-06-01T00:00:00.000Z',
    });
  });
});

// The version floor needs a server that claims an old version: the protocol test server only.
const describeTestServer = REAL_SERVER_URL ? describe.skip : describe;
describeTestServer('EventStoreDBEventStore and the server version (protocol test server)', () => {
  it('refuses a server without ServerFeatures (older than 21.10) at the first operation, naming version and floor', async () => {
    const server = await EventStoreDBTestServer.start({ batchAppend: 'unimplemented' });
    const store = new EventStoreDBEventStore({ connectionString: server.connectionString });
    try {
      const error = await store.append('old-1', [testEvent('a')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/older than 21\.10/);
      expect((error as Error).message).toMatch(/needs 23\.10 or later/);
      await expect(collect(store.readAll())).rejects.toBeInstanceOf(ConfigurationError);
      // Nothing was written.
      expect(server.log.stream('old-1')).toBeUndefined();
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('refuses a 22.10 server (no caught-up message), naming its version and the floor', async () => {
    const server = await EventStoreDBTestServer.start({ version: '22.10' });
    const store = new EventStoreDBEventStore({ connectionString: server.connectionString });
    try {
      const error = await store.headPosition().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/is version 22\.10\.5; Rewind needs 23\.10 or later/);
      expect((error as Error).message).toContain(`127.0.0.1:${server.port}`);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('reports the version of a supported server', async () => {
    const server = await EventStoreDBTestServer.start();
    const store = new EventStoreDBEventStore({ connectionString: server.connectionString });
    try {
      expect(await store.serverVersion()).toMatch(/^2[45]\.\d+\.\d+/);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
