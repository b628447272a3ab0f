import { chooseEventStore, chooseReadModelStore, databaseUrl } from '@rewind/energy-bar-shop';

const URL = 'postgres://rewind:rewind@localhost:5432/rewind';

describe('the store selection (DATABASE_URL, EVENTSTORE_URL)', () => {
  it('DATABASE_URL selects PostgreSQL for the read models, without a warning', () => {
    const warn = jest.fn();
    expect(chooseReadModelStore({ DATABASE_URL: URL }, warn)).toEqual({
      kind: 'postgres',
      connectionString: URL,
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('without it the read models are in SQLite', () => {
    const warn = jest.fn();
    expect(chooseReadModelStore({}, warn)).toEqual({ kind: 'sqlite' });
    expect(warn).not.toHaveBeenCalled();
  });

  it('the deprecated POSTGRES_URL still selects PostgreSQL (never silently SQLite), with one warning naming DATABASE_URL', () => {
    const warn = jest.fn();
    expect(chooseReadModelStore({ POSTGRES_URL: URL }, warn)).toEqual({
      kind: 'postgres',
      connectionString: URL,
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/POSTGRES_URL is deprecated: rename it to DATABASE_URL/);
  });

  it('with both set, DATABASE_URL wins and the warning says POSTGRES_URL is ignored', () => {
    const warn = jest.fn();
    expect(databaseUrl({ DATABASE_URL: URL, POSTGRES_URL: 'postgres://other/db' }, warn)).toBe(URL);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/POSTGRES_URL is deprecated and ignored: DATABASE_URL/),
    );
  });

  it('the default warning goes to stderr once per process', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(databaseUrl({ POSTGRES_URL: URL })).toBe(URL);
      expect(databaseUrl({ POSTGRES_URL: URL })).toBe(URL);
      const warnings = write.mock.calls
        .map(([text]) => String(text))
        .filter((t) => t.includes('POSTGRES_URL'));
      expect(warnings).toEqual([
        expect.stringMatching(/^warning: POSTGRES_URL is deprecated: rename it to DATABASE_URL/),
      ]);
    } finally {
      write.mockRestore();
    }
  });

  it('the event store: EventStoreDB with EVENTSTORE_URL (even beside DATABASE_URL), else PostgreSQL with DATABASE_URL, else SQLite', () => {
    expect(
      chooseEventStore({ EVENTSTORE_URL: 'esdb://localhost:2113?tls=false', DATABASE_URL: URL }),
    ).toEqual({
      kind: 'eventstoredb',
      connectionString: 'esdb://localhost:2113?tls=false',
    });
    expect(chooseEventStore({ DATABASE_URL: URL })).toEqual({ kind: 'postgres', connectionString: URL });
    expect(chooseEventStore({})).toEqual({ kind: 'sqlite' });
  });
});
