import { EventStoreDBTestServer } from '@rewind/testing/eventstoredb';

/**
 * Where the EventStoreDB suites run: a real server when EVENTSTORE_URL is set, otherwise the in-process
 * protocol test server (with the real, unmodified client).
 */
export const REAL_SERVER_URL = process.env['EVENTSTORE_URL'];

/** A target the suites connect to; `server` is set only for the in-process test server. */
export interface EventStoreDBTarget {
  readonly connectionString: string;
  readonly server: EventStoreDBTestServer | undefined;
  dispose(): Promise<void>;
}

/** Starts a test server (or points at the real one). */
export async function startTarget(
  batchAppend: boolean | 'unimplemented' = true,
): Promise<EventStoreDBTarget> {
  if (REAL_SERVER_URL)
    return { connectionString: REAL_SERVER_URL, server: undefined, dispose: async () => {} };
  const server = await EventStoreDBTestServer.start({ batchAppend });
  return { connectionString: server.connectionString, server, dispose: () => server.stop() };
}
