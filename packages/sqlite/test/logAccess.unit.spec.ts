import Database from 'better-sqlite3';
import { ForwardLogCursor } from '../src/eventStore/logCursor';
import { FilterDensity, LogStatements, logSql, type LogAccess } from '../src/eventStore/logStatements';
import { migrate } from '../src/eventStore/schema';

/** A log in memory with the store's own schema: `types[i]` is the type of the event at position i + 1. */
function logOf(types: readonly string[]): Database.Database {
  const db = new Database(':memory:');
  migrate(db, ':memory:');
  const insert = db.prepare(
    "INSERT INTO rewind_events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, '{}', '{}', 0)",
  );
  db.transaction(() => types.forEach((type, i) => insert.run(`s-${i}`, 0, `id-${i}`, type)))();
  return db;
}

const plan = (db: Database.Database, access: LogAccess, types: string[]) =>
  (
    db
      .prepare(`EXPLAIN QUERY PLAN ${logSql('forwards', { eventTypes: types }, access)}`)
      .all(0, 100, ...types, 10) as Array<{ detail: string }>
  )
    .map((row) => row.detail)
    .join('; ');

describe('how a page filtered by event type finds its rows', () => {
  it('goes through the type index, or scans the range of positions in the table', () => {
    const db = logOf(['a', 'b']);
    const types = ['a', 'b', 'c'];
    expect(plan(db, 'index', types)).toContain('rewind_events_by_type');
    const scan = plan(db, 'scan', types);
    expect(scan).not.toContain('rewind_events_by_type');
    expect(scan).toMatch(/INTEGER PRIMARY KEY|rowid/);
    expect(scan).not.toContain('TEMP B-TREE'); // rows come in position order: no sort
    db.close();
  });

  it('finds the same events either way', () => {
    const kinds = ['a', 'b', 'c', 'd'];
    const types = Array.from({ length: 500 }, (_, i) => kinds[(i * 7 + (i >> 3)) % kinds.length]!);
    const db = logOf(types);
    const log = new LogStatements(db);
    for (const filter of [['a'], ['b', 'd'], ['a', 'b', 'c', 'd'], ['none']]) {
      for (const [after, upTo, limit] of [
        [0, 500, 1000],
        [17, 300, 25],
        [250, 251, 5],
      ] as const) {
        const index = log.forwards(after, upTo, { eventTypes: filter }, limit, 'index');
        const scan = log.forwards(after, upTo, { eventTypes: filter }, limit, 'scan');
        expect(scan).toEqual(index);
        const backIndex = log.backwards(after, upTo, { eventTypes: filter }, limit, 'index');
        expect(log.backwards(after, upTo, { eventTypes: filter }, limit, 'scan')).toEqual(backIndex);
      }
    }
    db.close();
  });
});

describe('FilterDensity (which way the next page of a filtered read goes)', () => {
  it('starts on the index, which a sparse filter needs', () => {
    expect(new FilterDensity().access).toBe('index');
  });

  it('scans once a page finds a quarter or more of the positions it spans matching', () => {
    const density = new FilterDensity();
    density.observe(24, 100);
    expect(density.access).toBe('index');
    density.observe(25, 100);
    expect(density.access).toBe('scan');
  });

  it('goes back to the index once a page finds a tenth or less matching, and not before', () => {
    const density = new FilterDensity('scan');
    density.observe(11, 100);
    expect(density.access).toBe('scan'); // between the two: stays, so a read does not flip-flop
    density.observe(10, 100);
    expect(density.access).toBe('index');
    density.observe(11, 100);
    expect(density.access).toBe('index');
  });

  it('ignores a page that spans no position', () => {
    const density = new FilterDensity('scan');
    density.observe(0, 0);
    expect(density.access).toBe('scan');
  });
});

describe('a forward read of the log with a filter', () => {
  const read = (types: readonly string[], filter: string[], pageSize: number) => {
    const db = logOf(types);
    const log = new LogStatements(db);
    const forwards = jest.spyOn(log, 'forwards');
    const cursor = new ForwardLogCursor(log, () => types.length, { eventTypes: filter }, pageSize, 65_536, {
      after: 0,
      remaining: Infinity,
      access: 'index',
    });
    const positions: number[] = [];
    for (let page = cursor.next(); page; page = cursor.next()) positions.push(...page.map((row) => row[0]));
    const accesses = forwards.mock.calls.map((call) => call[4]);
    db.close();
    return { positions, accesses, expected: types.flatMap((t, i) => (filter.includes(t) ? [i + 1] : [])) };
  };

  it('that matches most events scans the table from its second page on', () => {
    const types = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 'other' : 'wanted'));
    const { positions, accesses, expected } = read(types, ['wanted'], 100);
    expect(positions).toEqual(expected);
    expect(accesses[0]).toBe('index');
    expect(accesses.slice(1).every((access) => access === 'scan')).toBe(true);
  });

  it('that matches few events stays on the index', () => {
    const types = Array.from({ length: 1000 }, (_, i) => (i % 20 === 0 ? 'wanted' : 'other'));
    const { positions, accesses, expected } = read(types, ['wanted'], 10);
    expect(positions).toEqual(expected);
    expect(accesses.every((access) => access === 'index')).toBe(true);
  });

  it('goes back to the index where the log turns sparse', () => {
    const types = Array.from({ length: 2000 }, (_, i) => (i < 500 || i % 25 === 0 ? 'wanted' : 'other'));
    const { positions, accesses, expected } = read(types, ['wanted'], 50);
    expect(positions).toEqual(expected);
    expect(accesses).toContain('scan');
    expect(accesses[accesses.length - 1]).toBe('index');
  });
});
