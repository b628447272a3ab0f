import {
  EVENTSTOREDB_SERVER_MODES,
  EventStoreDBTestServer,
  type EventStoreDBServerMode,
} from '@rewind/testing/eventstoredb';

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

/**
 * The server versions the adapter's suites run on: every test-server mode Rewind supports (22.10 is
 * refused, and has tests of its own), or just the real server when EVENTSTORE_URL is set.
 */
export const SUITE_MODES: readonly EventStoreDBServerMode[] = REAL_SERVER_URL
  ? ['24.10.5']
  : EVENTSTOREDB_SERVER_MODES.filter((mode) => mode !== '22.10');

/** How a suite names where it runs. */
export function targetName(version: EventStoreDBServerMode): string {
  return REAL_SERVER_URL
    ? `real EventStoreDB at ${REAL_SERVER_URL}`
    : `protocol test server, ${version} mode`;
}

/** Starts a test server imitating `version` (or points at the real one). */
export async function startTarget(
  batchAppend: boolean | 'unimplemented' = true,
  version: EventStoreDBServerMode = '24.10.5',
): Promise<EventStoreDBTarget> {
  if (REAL_SERVER_URL)
    return { connectionString: REAL_SERVER_URL, server: undefined, dispose: async () => {} };
  const server = await EventStoreDBTestServer.start({ batchAppend, version });
  return { connectionString: server.connectionString, server, dispose: () => server.stop() };
}
