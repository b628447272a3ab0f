import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRewind } from '@rewind/core';
import { ProjectionEngine, rebuildProjection } from '@rewind/projections';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';
import { Order } from './fixtures/shop/order';
import { CustomerRevenue, OrderSummary } from './fixtures/shop/orderSummary';
import { FIXTURE_CONFIG, runCli } from './support/runCli';
import { minutes, seedShop } from './support/seedShop';

jest.setTimeout(120_000);

type Collections = Record<string, Record<string, unknown>>;

describe('rewind projections / dead-letters / readmodel / rebuild (fixture shop on SQLite)', () => {
  let dir: string;
  const rewind = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['--config', FIXTURE_CONFIG, ...args], { env: { REWIND_DATA_DIR: dir, ...env } });
  const fixed = { SHOP_POISON_FIXED: '1' };
  const model = async (projection: string): Promise<{ namespace: string; collections: Collections }> => {
    const run = await rewind(['--json', 'readmodel', projection]);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-'));
    await seedShop(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('projections', () => {
    it('lists the configured projections', async () => {
      const run = await rewind(['projections', 'list']);
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')).toEqual([
        'NAME              KIND        VERSION',
        'order-summary     projection  1',
        'customer-revenue  projection  1',
        '',
      ]);
    });

    it('shows status with checkpoint, lag and dead letters', async () => {
      const run = await rewind(['--json', 'projections', 'status']);
      expect(run.code).toBe(0);
      const statuses = JSON.parse(run.stdout).projections;
      expect(statuses).toEqual([
        expect.objectContaining({
          name: 'order-summary',
          checkpoint: '7',
          head: '7',
          eventsBehind: 0,
          behindMs: 0,
          deadLetters: 0,
        }),
        expect.objectContaining({
          name: 'customer-revenue',
          checkpoint: '7',
          eventsBehind: 0,
          behindMs: 0,
          deadLetters: 1,
        }),
      ]);
      const table = await rewind(['projections', 'status', 'order-summary']);
      expect(table.stdout).toMatch(/^NAME +KIND +VERSION +STATE +CHECKPOINT +HEAD +BEHIND +LAG/);
      expect(table.stdout).toMatch(/order-summary +projection +1 +\S+ +7 +7 +0 +0s/);
    });

    it('suggests the closest projection for an unknown one (exit 4)', async () => {
      const run = await rewind(['projections', 'status', 'order-sumary']);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('Unknown projection "order-sumary". Did you mean "order-summary"?');
    });

    it('shows a projection run by another process as held by it, and pauses that runner', async () => {
      const eventStore = SqliteEventStore.open(join(dir, 'events.db'));
      const store = SqliteReadModelStore.open(join(dir, 'readmodels.db'));
      const { events } = createRewind({ eventStore, aggregates: [Order] });
      const engine = new ProjectionEngine({
        eventStore,
        events,
        store,
        processors: [OrderSummary],
        owner: 'shop-app-1',
        controlPollMs: 100,
      });
      try {
        engine.start();
        await engine.waitForHead();
        const run = await rewind(['--json', 'projections', 'status', 'order-summary']);
        expect(JSON.parse(run.stdout).projections[0]).toMatchObject({
          state: 'unknown',
          lockHolder: 'shop-app-1',
        });
        expect((await rewind(['projections', 'status', 'order-summary'])).stdout).toContain(
          'held by shop-app-1',
        );
        expect((await rewind(['projections', 'pause', 'order-summary'])).code).toBe(0);
        for (let i = 0; i < 50 && (await engine.status('order-summary'))[0]!.state !== 'paused'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect((await engine.status('order-summary'))[0]!.state).toBe('paused');
        expect((await rewind(['projections', 'resume', 'order-summary'])).code).toBe(0);
      } finally {
        await engine.stop();
        await store.close();
        await eventStore.close();
      }
    });

    it('pauses and resumes a projection for every process', async () => {
      expect((await rewind(['projections', 'pause', 'order-summary'])).code).toBe(0);
      let status = JSON.parse((await rewind(['--json', 'projections', 'status', 'order-summary'])).stdout);
      expect(status.projections[0].paused).toBe(true);
      expect((await rewind(['projections', 'resume', 'order-summary'])).code).toBe(0);
      status = JSON.parse((await rewind(['--json', 'projections', 'status', 'order-summary'])).stdout);
      expect(status.projections[0].paused).toBe(false);
    });
  });

  describe('readmodel', () => {
    it('prints at most --limit documents of each collection and says when there are more', async () => {
      const human = await rewind(['readmodel', 'order-summary', '--collection', 'orders', '--limit', '1']);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain('orders      o-1');
      expect(human.stdout).not.toContain('o-2');
      expect(human.stdout).toContain('orders holds more: raise --limit to see them');
      const json = await rewind([
        '--json',
        'readmodel',
        'order-summary',
        '--collection',
        'orders',
        '--limit',
        '1',
      ]);
      expect(JSON.parse(json.stdout)).toMatchObject({ limit: 1, truncated: ['orders'] });
      expect(Object.keys(JSON.parse(json.stdout).collections.orders)).toEqual(['o-1']);
      const all = await rewind([
        '--json',
        'readmodel',
        'order-summary',
        '--collection',
        'orders',
        '--limit',
        '50',
      ]);
      expect(JSON.parse(all.stdout)).toMatchObject({ limit: 50, truncated: [] });
      expect(Object.keys(JSON.parse(all.stdout).collections.orders)).toEqual(['o-1', 'o-2']);
    });

    it.each(['0', '-3', '2.5', 'ten'])('refuses --limit %s, naming the flag and the value', async (value) => {
      const run = await rewind(['readmodel', 'order-summary', `--limit=${value}`]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--limit "${value}" is not a positive integer. Use e.g. --limit 20.`);
      expect(run.stdout).toBe('');
    });

    it('prints one document', async () => {
      const run = await rewind(['readmodel', 'order-summary', '--collection', 'orders', '--id', 'o-1']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        'orders      o-1  {"customer":"alice","items":2,"total":110,"status":"paid"}',
      );
    });

    it('reproduces the read model as of an earlier moment and drops the scratch namespace', async () => {
      const run = await rewind([
        '--json',
        'readmodel',
        'order-summary',
        '--as-of',
        minutes(25).toISOString(),
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout).collections).toEqual({
        orders: { 'o-1': { customer: 'alice', items: 2, total: 110, status: 'placed' } },
      });
      const served = await model('order-summary');
      expect(served.collections.orders).toHaveProperty('o-2');
    });

    it('diffs the past with the live model', async () => {
      const run = await rewind(['readmodel', 'order-summary', '--as-of', '3', '--diff-with-live']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('+ o-2: {"customer":"bob","items":1,"total":5,"status":"cancelled"}');
      expect(run.stdout).toContain('~ status: "placed" → "paid"');
    });

    it('keeps what rebuild --until left when --as-of looks at the same moment, and lists both', async () => {
      const until = minutes(25).toISOString();
      const built = await rewind(['--json', 'rebuild', 'order-summary', '--until', until]);
      const scratch = JSON.parse(built.stdout).rebuilt[0].namespace as string;
      expect(scratch).toMatch(/^order-summary@v1~at-/);
      expect((await rewind(['readmodel', 'order-summary', '--as-of', until])).code).toBe(0);
      const listed = await rewind(['--json', 'readmodel', 'order-summary', '--list-namespaces']);
      expect(listed.code).toBe(0);
      const roles = Object.fromEntries(
        JSON.parse(listed.stdout).namespaces.map((n: { namespace: string; role: string }) => [
          n.namespace,
          n.role,
        ]),
      );
      expect(roles[scratch]).toBe('scratch');
      expect(Object.values(roles)).toContain('served');
      expect(Object.keys(roles).some((n) => n.includes('-tmp-'))).toBe(false); // --as-of cleaned up its own
      const kept = await rewind(['--json', 'readmodel', 'order-summary', '--namespace', scratch]);
      expect(JSON.parse(kept.stdout).collections.orders).toHaveProperty('o-1');
      const human = await rewind(['readmodel', 'order-summary', '--list-namespaces']);
      expect(human.stdout).toMatch(new RegExp(`${scratch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +scratch`));
      expect((await rewind(['readmodel', 'order-summary', '--drop', scratch])).code).toBe(0);
    });

    it('never drops the system namespace (exit 2), and says an unknown namespace is not found (exit 4)', async () => {
      const system = await rewind(['readmodel', 'order-summary', '--drop', 'rewind_system']);
      expect(system.code).toBe(2);
      expect(system.stderr).toContain('never dropped');
      expect((await model('order-summary')).collections.orders).toHaveProperty('o-1'); // still served
      const missing = await rewind(['readmodel', 'order-summary', '--drop', 'order-summary@v1~pos-999']);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toContain('There is no read-model namespace "order-summary@v1~pos-999"');
      const typo = await rewind(['readmodel', 'order-summary', '--namespace', 'order-sumary@v1']);
      expect(typo.code).toBe(4);
      expect(typo.stderr).toMatch(/Known namespaces: order-summary@v1/);
    });

    it('rejects a malformed --as-of (exit 2)', async () => {
      const run = await rewind(['readmodel', 'order-summary', '--as-of', 'last tuesday']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--as-of "last tuesday" is neither a log position');
    });
  });

  describe('dead-letters', () => {
    let id: string;

    it('lists the parked event', async () => {
      const run = await rewind(['--json', 'dead-letters', 'list', 'customer-revenue']);
      expect(run.code).toBe(0);
      const letters = JSON.parse(run.stdout).deadLetters;
      expect(letters).toEqual([
        expect.objectContaining({
          projection: 'customer-revenue',
          eventType: 'shop.order.item-added',
          streamId: 'order-o-2',
          revision: '1',
        }),
      ]);
      id = letters[0].id;
      const human = await rewind(['dead-letters', 'list']);
      expect(human.stdout).toContain('No price list entry for "poison"');
    });

    it('keeps a letter parked when the retry still fails (exit 1)', async () => {
      const run = await rewind(['dead-letters', 'retry', id]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('still fails');
    });

    it('applies it after the fix with retry --all', async () => {
      const run = await rewind(['dead-letters', 'retry', '--all'], fixed);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Retried 1 dead letter(s).');
      expect((await rewind(['dead-letters', 'list'])).stdout).toContain('No dead letters.');
      expect((await model('customer-revenue')).collections.pending).toMatchObject({ 'o-2': { total: 5 } });
    });

    it('names an unknown letter on retry and skip as not found, with the command that lists them (exit 4)', async () => {
      for (const verb of ['retry', 'skip']) {
        const run = await rewind(['dead-letters', verb, 'nope']);
        expect({ verb, code: run.code }).toEqual({ verb, code: 4 });
        expect(run.stderr).toContain('No dead letter with id "nope"');
        expect(run.stderr).toContain('rewind dead-letters list');
        expect(run.stderr).not.toContain('deadLetters()');
      }
    });
  });

  describe('rebuild', () => {
    it('refuses without --yes when not on a terminal (exit 2)', async () => {
      const run = await rewind(['rebuild', 'order-summary']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--yes');
    });

    it('rebuilds every projection, leaving each read model identical to the live one', async () => {
      const before = [await model('order-summary'), await model('customer-revenue')];
      const run = await rewind(['rebuild', '--all', '--yes'], fixed);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/order-summary: building \d+ events/); // progress, on stderr
      expect(run.stdout).toMatch(
        /order-summary: 7 events in [\d.]+s into order-summary@v1\S* \(now served, replaced order-summary@v1\)/,
      );
      const after = [await model('order-summary'), await model('customer-revenue')];
      expect(after.map((m) => m.namespace)).not.toEqual(before.map((m) => m.namespace));
      expect(after.map((m) => m.collections)).toEqual(before.map((m) => m.collections));
    });

    it('builds a past read model with --until and says how to query and drop it', async () => {
      const run = await rewind(['rebuild', 'order-summary', '--until', minutes(25).toISOString()]);
      expect(run.code).toBe(0);
      const namespace = /into scratch namespace (\S+),/.exec(run.stdout)?.[1];
      expect(namespace).toBeDefined();
      expect(run.stdout).toContain(`rewind readmodel order-summary --namespace ${namespace}`);
      expect(run.stdout).toContain(`rewind readmodel order-summary --drop ${namespace}`);
      const past = await rewind(['--json', 'readmodel', 'order-summary', '--namespace', namespace!]);
      expect(JSON.parse(past.stdout).collections.orders).toEqual({
        'o-1': { customer: 'alice', items: 2, total: 110, status: 'placed' },
      });
      expect((await rewind(['readmodel', 'order-summary', '--drop', namespace!])).code).toBe(0);
      const gone = await rewind(['readmodel', 'order-summary', '--namespace', namespace!]);
      expect(gone.code).toBe(4);
      expect(gone.stderr).toContain(`There is no read-model namespace "${namespace}"`);
    });

    it('says when it resumes an interrupted rebuild, and starts over with --fresh', async () => {
      // An earlier rebuild died half-way: the handler failed on the poison item (batches of 2 events).
      const interrupt = async () => {
        const eventStore = SqliteEventStore.open(join(dir, 'events.db'));
        const store = SqliteReadModelStore.open(join(dir, 'readmodels.db'));
        const { events } = createRewind({ eventStore, aggregates: [Order] });
        const engine = new ProjectionEngine({ eventStore, events, store, processors: [CustomerRevenue] });
        try {
          await expect(
            rebuildProjection(engine, 'customer-revenue', { batchSize: 2, fresh: true }),
          ).rejects.toThrow(/No price list entry for "poison"/);
        } finally {
          await store.close();
          await eventStore.close();
        }
      };
      await interrupt();
      const resumed = await rewind(['rebuild', 'customer-revenue', '--yes'], fixed);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toMatch(
        /customer-revenue: resuming the rebuild in \S+ from position \d+ .*Run with --fresh to start over/,
      );
      expect(resumed.stdout).toMatch(/customer-revenue: \d+ events .*\(resumed from \d+\)/);
      await interrupt();
      const fresh = await rewind(['rebuild', 'customer-revenue', '--fresh', '--yes'], fixed);
      expect(fresh.code).toBe(0);
      expect(fresh.stderr).not.toContain('resuming');
      // all three events it handles, from the start, not a resumed remainder
      expect(fresh.stdout).toMatch(
        /customer-revenue: 3 events in [\d.]+s into customer-revenue@v1\S* \(now served[^)]*\), position 7\.\n/,
      );
    });

    it('suggests the closest projection for an unknown one (exit 4)', async () => {
      const run = await rewind(['rebuild', 'customer-revnue', '--yes']);
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('Did you mean "customer-revenue"?');
    });
  });
});
