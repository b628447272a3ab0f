import type { EventStoreDBClient } from '@eventstore/db-client';

/**
 * The EventStoreDB versions Rewind supports, and how it finds out which one it talks to.
 *
 * The floor is 23.10: before it, a catch-up subscription never says "caught up", so a projection
 * never knows it follows the log live (it would flush live events only by batch size, and a rebuilt
 * version would never be swapped in). 24.2.0–24.10.4 and 25.0.0 have known checkpoint bugs (KDB-710,
 * KDB-744) that the adapter defends against; 24.10.5+ and 25.0.1+ have them fixed.
 */
export const MINIMUM_SERVER_VERSION = '23.10';

/** A server version as [major, minor, patch], or undefined when it is not a version (`unknown`). */
export function parseServerVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

/**
 * Why a server version is not supported, or undefined when it is. `unknown` is what the client
 * reports for a server without the ServerFeatures service, i.e. older than 21.10.
 */
export function unsupportedServerVersion(version: string): string | undefined {
  const parsed = parseServerVersion(version);
  const floor = parseServerVersion(MINIMUM_SERVER_VERSION)!;
  if (!parsed) {
    return `it reports no version (${JSON.stringify(version)}), which means a server older than 21.10`;
  }
  if (parsed[0] < floor[0] || (parsed[0] === floor[0] && parsed[1] < floor[1])) {
    return `it is version ${version}`;
  }
  return undefined;
}

/** What the pinned client (6.x) exposes at run time but not in its types: the ServerFeatures answer. */
interface ClientWithCapabilities {
  readonly capabilities?: Promise<{ readonly serverVersion?: string }>;
}

/**
 * The server's version, as its ServerFeatures service reports it (the client asks once per
 * connection): `unknown` for servers older than 21.10.
 */
export async function serverVersionOf(client: EventStoreDBClient): Promise<string> {
  const capabilities = (client as unknown as ClientWithCapabilities).capabilities;
  if (!capabilities) return 'unknown';
  return (await capabilities).serverVersion ?? 'unknown';
}
