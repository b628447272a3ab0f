import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRewind } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { AddItem, Order, PlaceOrder } from './fixtures/shop/order';
import { FIXTURE_CONFIG, runCli } from './support/runCli';
import { minutes, seedShop, T0 } from './support/seedShop';

jest.setTimeout(120_000);

describe('rewind travel / history / bisect / streams (fixture shop on SQLite)', () => {
  let dir: string;
  const rewind = (...args: string[]) =>
    runCli(['--config', FIXTURE_CONFIG, ...args], { env: { REWIND_DATA_DIR: dir } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-'));
    await seedShop(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('travel', () => {
    it('prints the state at a revision', async () => {
      const run = await rewind('travel', 'order', 'o-1', '--revision', '1');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('order o-1 at revision 1');
      expect(run.stdout).toContain('status: "placed"');
      expect(run.stdout).toContain('items: ["bar"]');
      expect(run.stdout).toContain('total: 30');
    });

    it('prints the state at a recorded time, as JSON', async () => {
      const run = await rewind('--json', 'travel', 'order', 'o-1', '--at', minutes(25).toISOString());
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out).toMatchObject({
        revision: '2',
        state: { status: 'placed', items: ['bar', 'gel'], total: 110 },
      });
    });

    it('reads --at as business time with --business-time', async () => {
      // Every event occurred (business time) when the seed ran, i.e. now: far in the future of T0.
      const run = await rewind(
        '--json',
        'travel',
        'order',
        'o-1',
        '--at',
        new Date(Date.now() + 60_000).toISOString(),
        '--business-time',
      );
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).state.status).toBe('paid');
    });

    it('rejects a malformed time with the format to use (exit 2)', async () => {
      const run = await rewind('travel', 'order', 'o-1', '--at', 'yesterday');
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /--at "yesterday" is not a valid ISO 8601 time\. Use e\.g\. 2026-05-01T12:00:00Z/,
      );
    });

    it('rejects a date that does not exist instead of rolling it over (exit 2)', async () => {
      for (const at of [
        '2026-02-30',
        '2026-02-29T10:00:00Z',
        '2026-04-31T00:00:00Z',
        '2026-05-01T24:00:00Z',
      ]) {
        const run = await rewind('travel', 'order', 'o-1', '--at', at);
        expect({ at, code: run.code, stdout: run.stdout }).toEqual({ at, code: 2, stdout: '' });
        expect(run.stderr).toContain(`--at "${at}" is not a valid ISO 8601 time`);
      }
    });

    it('rejects a malformed revision (exit 2)', async () => {
      const run = await rewind('travel', 'order', 'o-1', '--revision', '-1');
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--revision "-1" is not a non-negative integer');
    });

    it('refuses a revision past the end as not found, naming the last revision (exit 4)', async () => {
      const run = await rewind('travel', 'order', 'o-1', '--revision', '99');
      expect(run.code).toBe(4);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/at revision 99: stream "order-o-1" ends at revision 3/);
    });

    it('suggests the closest aggregate for an unknown one (exit 4)', async () => {
      const run = await rewind('travel', 'ordr', 'o-1', '--revision', '0');
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('Unknown aggregate "ordr". Did you mean "order"?');
    });

    it('names a missing aggregate id and how to list ids (exit 4)', async () => {
      const run = await rewind('travel', 'order', 'nope', '--revision', '0');
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('nope');
      expect(run.stderr).toContain('rewind streams list --prefix');
    });
  });

  describe('history', () => {
    it('prints each event with its state change as a diff', async () => {
      const run = await rewind('history', 'order', 'o-1');
      expect(run.code).toBe(0);
      const lines = run.stdout.split('\n');
      expect(lines[0]).toMatch(/^#0 shop\.order\.placed {2}2026-05-01T12:00:00\.000Z {2}position \d+$/);
      expect(run.stdout).toContain('~ status: "new" → "placed"');
      expect(run.stdout).toContain('~ customer: "" → "alice"');
      expect(run.stdout).toContain('+ items[0]: "bar"');
      expect(run.stdout).toContain('~ total: 30 → 110');
      expect(run.stdout).toContain('#3 shop.order.paid');
      expect(run.stdout).toContain('~ status: "placed" → "paid"');
    });

    it('limits to --from/--to and gives JSON with the changes', async () => {
      const run = await rewind('--json', 'history', 'order', 'o-1', '--from', '1', '--to', '2');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.events.map((e: { revision: string; type: string }) => [e.revision, e.type])).toEqual([
        ['1', 'shop.order.item-added'],
        ['2', 'shop.order.item-added'],
      ]);
      // The first entry is diffed against the state before revision 1, not against an empty order.
      expect(out.events[0].changes).toEqual([
        { type: 'CREATE', path: ['items', 0], value: 'bar' },
        { type: 'CHANGE', path: ['total'], value: 30, oldValue: 0 },
      ]);
      expect(out.events[1].changes).toContainEqual({
        type: 'CHANGE',
        path: ['total'],
        value: 110,
        oldValue: 30,
      });
    });
  });

  it('rejects a --from after --to as bad usage (exit 2)', async () => {
    const run = await rewind('history', 'order', 'o-1', '--from', '5', '--to', '2');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--from 5 is after --to 2');
  });

  describe('bisect', () => {
    it('finds the first revision where an expression holds, with the event', async () => {
      const run = await rewind('bisect', 'order', 'o-1', '--where', 'items.length >= 2 && total > 100');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('First holds at revision 2, caused by shop.order.item-added');
      expect(run.stdout).toContain('"sku":"gel"');
      expect(run.stdout).toContain('~ total: 30 → 110');
    });

    it('uses a named predicate from the config', async () => {
      const run = await rewind('--json', 'bisect', 'order', 'o-1', '--predicate', 'bigSpender');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out).toMatchObject({
        aggregate: 'order',
        id: 'o-1',
        found: true,
        revision: '2',
        type: 'shop.order.item-added',
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    });

    it('exits 4 when the condition never holds', async () => {
      const run = await rewind('bisect', 'order', 'o-2', '--where', 'status == "paid"');
      expect(run.code).toBe(4);
      expect(run.stdout).toContain('never holds');
    });

    it('rejects code in an expression without running it (exit 2)', async () => {
      const marker = join(dir, 'pwned');
      const run = await rewind(
        'bisect',
        'order',
        'o-1',
        '--where',
        `require("fs").writeFileSync("${marker}", "x")`,
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Invalid --where expression');
      expect(existsSync(marker)).toBe(false);
    });

    it('suggests the closest predicate name (exit 4)', async () => {
      const run = await rewind('bisect', 'order', 'o-1', '--predicate', 'bigspendr');
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('Unknown predicate "bigspendr". Did you mean "bigSpender"?');
    });
  });

  describe('streams', () => {
    it('lists streams with their revisions', async () => {
      const run = await rewind('streams', 'list', '--prefix', 'order-');
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')).toEqual(['STREAM     REVISION', 'order-o-1  3', 'order-o-2  2', '']);
    });

    it('reads a stream from a revision', async () => {
      const run = await rewind('--json', 'streams', 'read', 'order-o-1', '--from', '2', '--limit', '1');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.events).toHaveLength(1);
      expect(out.events[0]).toMatchObject({
        revision: '2',
        type: 'shop.order.item-added',
        data: { sku: 'gel', price: 80 },
      });
    });

    it('names an unknown stream and how to list them (exit 4)', async () => {
      const run = await rewind('streams', 'read', 'order-zzz');
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('order-zzz');
      expect(run.stderr).toContain('rewind streams list');
    });
  });
});

describe('rewind travel / history over events the config does not register', () => {
  let dir: string;
  const rewind = (...args: string[]) =>
    runCli(['--config', FIXTURE_CONFIG, ...args], { env: { REWIND_DATA_DIR: dir } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-unknown-'));
    const eventStore = SqliteEventStore.open(join(dir, 'events.db'));
    const { commandBus } = createRewind({ eventStore, aggregates: [Order], unknownEventTypes: 'skip' });
    await commandBus.execute(PlaceOrder.of('o-9', 'carol'));
    // Written by a newer version of the application, with an event this config does not know.
    const metadata = { schemaVersion: 1, correlationId: 'c', causationId: 'c', occurredAt: T0.toISOString() };
    await eventStore.append('order-o-9', [
      { type: 'shop.order.gift-wrapped', data: { orderId: 'o-9' }, metadata },
    ]);
    await commandBus.execute(AddItem.of('o-9', 'bar', 30));
    await eventStore.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('travel says which events it skipped, on stderr', async () => {
    const run = await rewind('travel', 'order', 'o-9');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('total: 30');
    expect(run.stderr).toMatch(
      /^warning: skipped 1 event of a type .* does not register: shop\.order\.gift-wrapped \(1\)/,
    );
  });

  it('travel lists them under --json', async () => {
    const run = await rewind('--json', 'travel', 'order', 'o-9');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      revision: '2',
      skippedEvents: [{ type: 'shop.order.gift-wrapped', count: 1 }],
    });
  });

  it('history says so too', async () => {
    const run = await rewind('history', 'order', 'o-9');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: skipped 1 event/);
  });

  it('says nothing when every event is known', async () => {
    const run = await rewind('--json', 'travel', 'order', 'o-9', '--revision', '0');
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).skippedEvents).toBeUndefined();
  });
});
