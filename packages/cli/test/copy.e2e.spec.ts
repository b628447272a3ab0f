import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvent } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { FIXTURE_CONFIG, runCli } from './support/runCli';
import { seedShop } from './support/seedShop';
import { all, event, kept } from './support/seedLog';

jest.setTimeout(120_000);

describe('rewind copy (fixture shop on SQLite)', () => {
  let dir: string;
  let source: RecordedEvent[];
  const rewind = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['--config', FIXTURE_CONFIG, ...args], { env: { REWIND_DATA_DIR: dir, ...env } });
  const read = async (file: string): Promise<RecordedEvent[]> => {
    const store = SqliteEventStore.open(file);
    try {
      return await all(store);
    } finally {
      await store.close();
    }
  };
  /** A target that already holds the first `count` events of the source, appended one at a time. */
  const prefix = async (file: string, count: number, extra?: (store: SqliteEventStore) => Promise<void>) => {
    const store = SqliteEventStore.open(file);
    try {
      for (const e of source.slice(0, count))
        await store.append(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], {
          expectedRevision: e.revision === 0n ? 'no_stream' : e.revision - 1n,
        });
      await extra?.(store);
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-copy-'));
    await seedShop(dir);
    source = await read(join(dir, 'events.db'));
    expect(new Set(source.map((e) => e.streamId)).size).toBe(2);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the command and its options', async () => {
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/\n {2}copy \[options\] +copy every event of one store's log into\s+another/);
    const help = await runCli(['copy', '--help']);
    expect(help.code).toBe(0);
    for (const option of [
      '--to <store>',
      '--from <store>',
      '--after <position>',
      '--batch-size <n>',
      '--rebuild',
    ])
      expect(help.stdout).toContain(option);
    expect(help.stdout).toContain('sqlite:<file>, esdb://host:2113?tls=false');
  });

  it('--to sqlite: copies every event (streams, revisions, ids, types, data, metadata) and lists the rebuilds', async () => {
    const file = join(dir, 'copy.db');
    const run = await rewind(['copy', '--to', `sqlite:${file}`]);
    expect(run.stderr).toContain(`copy: the event store of rewind.config.ts -> sqlite:${file}\n`);
    expect(run.stderr).toContain('copy: 7 events (7 written, 0 already there), source position 7, done\n');
    expect(run.code).toBe(0);
    expect((await read(file)).map(kept)).toEqual(source.map(kept));
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^Copied 7 events of 2 streams from the event store of rewind.config.ts to sqlite:${file} in \\S+s: 7 written, 0 already there\\.$`,
      ),
    );
    expect(lines.slice(1)).toEqual([
      'Last copied source position: 7 (resume after it with --after 7).',
      "Streams, revisions, event ids, types, data and metadata are the source's; recorded times and global positions are the target's own.",
      `Read models: positions differ between the stores, so rebuild every projection against sqlite:${file} (after pointing the eventStore of rewind.config.ts there):`,
      '  rewind rebuild order-summary --yes',
      '  rewind rebuild customer-revenue --yes',
      '(or run this copy with --rebuild).',
      '',
    ]);

    const again = await rewind(['copy', '--to', `sqlite:${file}`]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(': 0 written, 7 already there.');
    expect((await read(file)).length).toBe(7);

    const after = await rewind(['--json', 'copy', '--to', `sqlite:${file}`, '--after', '5']);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('');
    expect(JSON.parse(after.stdout)).toMatchObject({
      copied: { events: 2, written: 0, alreadyThere: 2, lastPosition: '7' },
      projectionsToRebuild: ['order-summary', 'customer-revenue'],
      reactors: [],
      rebuilt: [],
    });
  });

  it('resumes an interrupted copy (the target holds a prefix) without duplicates', async () => {
    const file = join(dir, 'resumed.db');
    await prefix(file, 3);
    const run = await rewind(['copy', '--to', `sqlite:${file}`, '--batch-size', '2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(': 4 written, 3 already there.');
    expect((await read(file)).map(kept)).toEqual(source.map(kept));
  });

  it('refuses a target stream holding other events, naming the stream and the revision (exit 1)', async () => {
    const file = join(dir, 'conflict.db');
    const first = source[0]!;
    await prefix(file, 1, async (store) => {
      await store.append(first.streamId, [event(1, 'someone.else')], { expectedRevision: 0n });
    });
    const run = await rewind(['copy', '--to', `sqlite:${file}`]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(
        `error: Conflict in stream "${first.streamId}" at revision 1: the target holds event \\S+ \\(someone\\.else\\) there, the source ${source[1]!.id} \\(${source[1]!.type.replace(/\./g, '\\.')}\\)\\. .* The events up to source position 1 are in the target\\.`,
      ),
    );
  });

  it('refuses to copy a store onto itself (exit 2)', async () => {
    const run = await rewind(['copy', '--to', `sqlite:${join(dir, '.', 'events.db')}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `error: Source and target are the same store: sqlite:${join(dir, 'events.db')} (the event store of rewind.config.ts).`,
    );
    const copy = join(dir, 'copy.db');
    const both = await rewind(['copy', '--from', `sqlite:${copy}`, '--to', `sqlite:///${copy}`]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(`error: Source and target are the same store: sqlite:${copy}.`);
    const missing = await rewind(['copy', '--from', `sqlite:${join(dir, 'missing.db')}`]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('missing.db: no such file.');
  });

  it('needs --to or --from, a known store and a position for --after (exit 2); an unreachable PostgreSQL is exit 5, its password never printed', async () => {
    expect((await rewind(['copy'])).stderr).toContain('error: Give --to <store>');
    const bad = await rewind(['copy', '--to', 'mysql://h/db']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--to "mysql://h/db": "mysql:" is not a known store.');
    expect((await rewind(['copy', '--to', 'sqlite:x.db', '--after', 'yesterday'])).code).toBe(2);
    // Nothing listens on port 1: the connection is refused at once.
    const pg = await rewind(['copy', '--to', 'postgres://rewind:secret@127.0.0.1:1/rewind']);
    expect(pg.code).toBe(5);
    expect(pg.stderr).toContain('127.0.0.1:1');
    expect(pg.stderr).not.toContain('secret');
  });

  it('--to … --rebuild: rebuilds every projection against the target, into the config read-model store', async () => {
    const other = mkdtempSync(join(tmpdir(), 'rewind-cli-copy-to-'));
    try {
      await seedShop(other);
      const target = join(other, 'moved.db');
      const env = { REWIND_DATA_DIR: other, SHOP_POISON_FIXED: '1' };
      const run = await runCli(
        ['--config', FIXTURE_CONFIG, 'copy', '--to', `sqlite:${target}`, '--rebuild'],
        { env },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `Rebuilt order-summary against sqlite:${target}: 7 events into order-summary@v1`,
      );
      expect(run.stdout).toContain(
        `The read models of rewind.config.ts now follow sqlite:${target}: point its eventStore (and your application) there.`,
      );
      expect((await read(target)).map(kept)).toEqual((await read(join(other, 'events.db'))).map(kept));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('--from … --rebuild: copies into the config store, then rebuilds every projection against it', async () => {
    const other = mkdtempSync(join(tmpdir(), 'rewind-cli-copy-into-'));
    try {
      const env = { REWIND_DATA_DIR: other, SHOP_POISON_FIXED: '1' };
      const run = await runCli(
        ['--config', FIXTURE_CONFIG, 'copy', '--from', `sqlite:${join(dir, 'events.db')}`, '--rebuild'],
        { env },
      );
      expect(run.stderr).not.toContain('error');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(': 7 written, 0 already there.');
      expect(run.stdout).toMatch(
        /Rebuilt order-summary against the event store of rewind.config.ts: 7 events into order-summary@v1/,
      );
      expect(run.stdout).toMatch(/Rebuilt customer-revenue against/);
      expect(run.stdout).not.toContain('rewind rebuild');
      expect((await read(join(other, 'events.db'))).map(kept)).toEqual(source.map(kept));
      const model = await runCli(['--config', FIXTURE_CONFIG, '--json', 'readmodel', 'order-summary'], {
        env,
      });
      expect(model.code).toBe(0);
      expect(Object.keys(JSON.parse(model.stdout).collections.orders).sort()).toEqual(['o-1', 'o-2']);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
