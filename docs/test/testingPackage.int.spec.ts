// The code behind packages/testing/README.md: the projection engine contract run on a store (here
// the SQLite read-model store, as packages/sqlite/test/projectionEngine.int.spec.ts runs it), and the
// EventStoreDB protocol test server serving the real client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { SqliteReadModelStore } from '@rewind/sqlite';
import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';
import { describeProjectionEngineContract } from '@rewind/testing/jest';

// #region engine-contract
describeProjectionEngineContract('SqliteReadModelStore', () => {
  // once per test, before its first store: a fresh, empty database
  const dir = mkdtempSync(join(tmpdir(), 'rewind-engine-'));
  return {
    // each call is another connection to the same database, as another process would have
    open: () => SqliteReadModelStore.open(join(dir, 'readmodels.db')),
    // after the test, once the stores opened on it are closed
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
});
// #endregion

describe('the EventStoreDB protocol test server', () => {
  it('serves the real, unmodified client', async () => {
    // #region test-server
    const server = await EventStoreDBTestServer.start({ batchAppend: true }); // false: Append only; 'unimplemented': old server
    const client = EventStoreDBClient.connectionString(server.connectionString); // esdb://127.0.0.1:PORT?tls=false
    const appended = await client.appendToStream('order-1', jsonEvent({ type: 'order.placed', data: {} }));
    // ... your tests ...
    await client.dispose();
    await server.stop();
    // #endregion
    expect(server.connectionString).toMatch(/^esdb:\/\/127\.0\.0\.1:\d+\?tls=false$/);
    expect(appended.success).toBe(true);
    expect(appended.nextExpectedRevision).toBe(0n);
  }, 30_000);
});
