import { CliError, EXIT } from '../src/util/cliError';
import { describeStoreLocation, locationIdentity, parseStoreUrl, redactUrl } from '../src/util/storeUrl';

describe('parseStoreUrl (the stores `rewind copy --from/--to` accepts)', () => {
  it.each([
    ['sqlite:./new.db', '/work/here/new.db'],
    ['sqlite:new.db', '/work/here/new.db'],
    ['sqlite:/abs/old.db', '/abs/old.db'],
    ['sqlite:///abs/old.db', '/abs/old.db'],
    ['sqlite://./rel/x.db', '/work/here/rel/x.db'],
    ['SQLITE:./new.db', '/work/here/new.db'],
  ])('%s is the SQLite file %s (relative to the working directory)', (text, path) => {
    expect(parseStoreUrl(text, '--to', '/work/here')).toEqual({ kind: 'sqlite', path });
  });

  it.each([
    'esdb://localhost:2113?tls=false',
    'esdb+discover://h1:2113,h2:2113?tls=false&nodePreference=leader',
    'esdb://admin:changeit@host:2113?tls=true',
  ])('%s is EventStoreDB, the connection string kept whole', (text) => {
    expect(parseStoreUrl(text, '--to')).toEqual({ kind: 'eventstoredb', connectionString: text });
  });

  it.each(['postgres://rewind:rewind@localhost:5432/rewind', 'postgresql://db.example/shop?sslmode=require'])(
    '%s is PostgreSQL',
    (text) => {
      expect(parseStoreUrl(text, '--from')).toEqual({ kind: 'postgres', connectionString: text });
    },
  );

  it.each([
    ['mysql://h/db', /--to "mysql:\/\/h\/db": "mysql:" is not a known store\. Use one of: sqlite:<file>/],
    ['./events.db', /a scheme such as sqlite: is missing/],
    ['sqlite:', /sqlite: needs a file/],
    ['esdb://', /give a host/],
    ['postgres://u:secret@', /give a host/],
  ])('%s is refused as bad usage, naming the option and the forms', (text, message) => {
    let error: unknown;
    try {
      parseStoreUrl(text, '--to');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT.usage);
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).message).not.toContain('secret');
  });

  it('describes a location without its password', () => {
    expect(describeStoreLocation(parseStoreUrl('postgres://u:pw@h:5432/db', '--to'))).toBe(
      'postgres://u:***@h:5432/db',
    );
    expect(redactUrl('esdb://admin:changeit@h:2113?tls=true')).toBe('esdb://admin:***@h:2113?tls=true');
    expect(describeStoreLocation(parseStoreUrl('sqlite:/a/b.db', '--to'))).toBe('sqlite:/a/b.db');
  });

  it('identifies a store by its file, or its hosts (and database), whatever the credentials', () => {
    const id = (text: string) => locationIdentity(parseStoreUrl(text, '--to', '/w'));
    expect(id('sqlite:./a.db')).toBe(id('sqlite:///w/a.db'));
    expect(id('esdb://admin:x@Host:2113?tls=true')).toBe(id('esdb://host:2113?tls=false'));
    expect(id('postgres://a@h:5432/one')).not.toBe(id('postgres://a@h:5432/two'));
    expect(id('postgres://a:pw@h:5432/one')).toBe(id('postgresql://b@h:5432/one?sslmode=require'));
  });
});
