// The event-store locations `rewind copy --from/--to` accepts: the one place that knows their schemes.
import { resolve } from 'node:path';
import { CliError, EXIT } from './cliError';

/** An event store named on the command line. */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'eventstoredb'; readonly connectionString: string }
  | { readonly kind: 'postgres'; readonly connectionString: string };

/** A URL with a host after the optional `user:password@`. */
const HAS_HOST = /^[a-z+]+:\/\/(?:[^@/?]*@)?[^@/?]+(?:[/?]|$)/i;

/** The forms accepted, for help texts and error messages. */
export const STORE_URL_FORMS =
  'sqlite:<file> (e.g. sqlite:./events.db), esdb://host:2113?tls=false (also esdb+discover://), ' +
  'postgres://user:password@host:5432/db (also postgresql://)';

/**
 * Reads an event-store location: `sqlite:<file>` (a path relative to `cwd`, or `sqlite:///abs/path`),
 * `esdb://…` / `esdb+discover://…` (an EventStoreDB connection string, kept whole) or `postgres://…` /
 * `postgresql://…` (a PostgreSQL connection string, kept whole).
 * @throws CliError (usage) naming `option` for anything else.
 */
export function parseStoreUrl(text: string, option: string, cwd = process.cwd()): StoreLocation {
  const value = text.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    const rest = value.slice('sqlite:'.length);
    // sqlite:///abs/file.db and sqlite://./rel.db as in other tools; sqlite:./rel.db and sqlite:/abs.db too.
    const file = rest.startsWith('//') ? rest.slice(2) : rest;
    if (!file) throw usage(option, text, 'sqlite: needs a file, e.g. sqlite:./events.db');
    return { kind: 'sqlite', path: resolve(cwd, file) };
  }
  if (scheme === 'esdb' || scheme === 'esdb+discover') {
    if (!HAS_HOST.test(value)) throw usage(option, text, 'give a host, e.g. esdb://localhost:2113?tls=false');
    return { kind: 'eventstoredb', connectionString: value };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!HAS_HOST.test(value))
      throw usage(option, text, 'give a host, e.g. postgres://user:password@localhost:5432/db');
    return { kind: 'postgres', connectionString: value };
  }
  throw usage(
    option,
    text,
    scheme ? `"${scheme}:" is not a known store` : 'it names no store (a scheme such as sqlite: is missing)',
  );
}

/** The location for people: connection strings without their password. */
export function describeStoreLocation(location: StoreLocation): string {
  switch (location.kind) {
    case 'sqlite':
      return `sqlite:${location.path}`;
    case 'eventstoredb':
    case 'postgres':
      return redactUrl(location.connectionString);
  }
}

/** A connection string without its password. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/**
 * What identifies the store at a location, to refuse copying a store onto itself: the SQLite file, or
 * the EventStoreDB / PostgreSQL host list (and database), lower-cased.
 */
export function locationIdentity(location: StoreLocation): string {
  switch (location.kind) {
    case 'sqlite':
      return `sqlite:${location.path}`;
    case 'eventstoredb':
      return `esdb:${hostsOf(location.connectionString)}`;
    case 'postgres': {
      const database = /^[a-z]+:\/\/[^/?]*\/([^?]*)/i.exec(location.connectionString)?.[1] ?? '';
      return `postgres:${hostsOf(location.connectionString)}/${database}`;
    }
  }
}

function hostsOf(url: string): string {
  return (/^[a-z+]+:\/\/(?:[^@/]*@)?([^/?]*)/i.exec(url)?.[1] ?? url).toLowerCase();
}

function usage(option: string, text: string, problem: string): CliError {
  return new CliError(
    `${option} "${redactUrl(text)}": ${problem}. Use one of: ${STORE_URL_FORMS}.`,
    EXIT.usage,
  );
}
