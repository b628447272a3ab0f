import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DEMO = path.resolve(__dirname, '..', 'dist', 'demo.js');

/** Runs the built demo as `npm run demo` does, in its own data directory. */
async function demo(dataDir: string, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, [DEMO, `--data-dir=${dataDir}`, ...args], {
    timeout: 60_000,
  });
  expect(stderr).toBe('');
  return stdout;
}

/** The rows of the table printed under a heading, up to the next blank line. */
function section(output: string, title: string): string {
  const start = output.indexOf(title);
  expect(start).toBeGreaterThanOrEqual(0);
  return output.slice(start, output.indexOf('\n\n', start + title.length + 1));
}

describe('npm run demo', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  let first = '';

  beforeAll(async () => {
    first = await demo(dataDir, '--reset');
  }, 60_000);

  it('tells where its state lives and that it starts fresh', () => {
    expect(first).toContain(`data directory: ${dataDir} (reset)`);
    expect(first).toContain(
      `events and read models kept in: SQLite ${path.join(dataDir, 'events.db')} (events), ` +
        `SQLite ${path.join(dataDir, 'readmodels.db')} (read models)`,
    );
    expect(first).toContain('state: a fresh shop');
  });

  it('prints every scene, in order', () => {
    const scenes = [
      '1. Morning: the menu service opens',
      '2. Orders come in',
      '3. A rejected command',
      '4. The kitchen makes, the couriers go',
      '5. Two clerks update the menu at the same moment',
      '6. The menu renames "energy bar" to "energy bar+"',
      '7. Delivered',
      '8. Rebuild a read model',
      '9. Time travel',
      '10. Order 1001: its history with diffs',
    ];
    const at = scenes.map((s) => first.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows the menu and the order summaries as aligned tables', () => {
    expect(first).toMatch(/energy-bar\s+energy bar\s+2500/);
    expect(first).toMatch(/1001\s+Jisoo\s+2 x energy bar, 1 x oat bar\s+7000\s+paid/);
    expect(first).toMatch(/1002\s+Minho\s+1 x energy bar\s+2500\s+cancelled/);
  });

  it('compensates the declined order by events', () => {
    const story = section(first, 'order 1002: card-0002 is declined');
    expect(story).toMatch(/payment-1002\s+payment.declined\s+payment.requested/);
    expect(story).toMatch(/order-1002\s+order.cancelled\s+payment.declined/);
    expect(story).toMatch(/ticket-1002\s+kitchen.ticket-voided\s+payment.declined/);
    expect(story).not.toContain('kitchen.ticket-made');
  });

  it('rejects an invalid command with its field errors and appends nothing', () => {
    const rejected = section(first, 'ValidationError');
    expect(rejected).toContain('rejected with 4 field errors');
    expect(rejected).toMatch(/lines\.0\.quantity\s+0\s+quantity must not be less than 1/);
    expect(rejected).toMatch(/paymentMethod\s+"cash"/);
    expect(first).toContain('events appended: 0');
  });

  it("resolves the two clerks' conflict by a retry", () => {
    const clerks = section(first, 'clerk');
    expect(clerks).toMatch(/Kim .*\s(1|2)\s+\d+$/m);
    expect(clerks.match(/\s2\s+\d+$/gm)).toHaveLength(1);
    expect(clerks.match(/\s1\s+\d+$/gm)).toHaveLength(1);
  });

  it('renames the product in every read model from one event', () => {
    const before = section(first, '-- before');
    const after = section(first, '-- after');
    for (const model of ['menu', 'order summaries', 'kitchen queue', 'delivery board', 'sales per day']) {
      expect(before).toMatch(new RegExp(`${model}\\s+\\S+\\s+energy bar$`, 'm'));
      expect(after).toMatch(new RegExp(`${model}\\s+\\S+\\s+energy bar\\+$`, 'm'));
    }
    expect(after).not.toMatch(/energy bar$/m);
    expect(first).toContain('appended: 1 event (menu.product-renamed); calls between services: 0');
  });

  it('rebuilds a read model to the same result without charging a card again', () => {
    expect(section(first, 'projection')).toMatch(/order-summaries\s+15\s+\S+\s+\S+\s+yes/);
    expect(first).toContain('card charges before: 3, after: 3');
  });

  it('builds the order summaries as they were at an earlier moment', () => {
    const then = section(first, 'the order summaries as they were at');
    expect(then).toMatch(/1001\s+paid\s+delivered/);
    expect(then).toMatch(/1002\s+cancelled\s+cancelled/);
    expect(then).toMatch(/1003\s+paid\s+in the kitchen/);
  });

  it('loads the order at earlier moments and prints its history with diffs', () => {
    const travel = section(first, 'repository.load(Order, id, ...)');
    expect(travel).toMatch(/\{ revision: 0 \}\s+0\s+placed/);
    expect(travel).toMatch(/\{ at: \S+ \}\s+1\s+paid/);
    expect(travel).toMatch(/\(now\)\s+2\s+completed/);
    const history = section(first, '  rev  event');
    expect(history).toMatch(/0\s+order.placed\s+\S+\s+status\s+"new"\s+"placed"/);
    expect(history).toMatch(/lines.0\s+2 x energy bar @ 2,500/);
    expect(history).toMatch(/2\s+order.completed\s+\S+\s+status\s+"paid"\s+"completed"/);
  });

  it('leaves a store the rewind CLI reads through rewind.config.ts', async () => {
    const cli = path.resolve(__dirname, '..', '..', '..', 'packages', 'cli', 'dist', 'bin.js');
    const config = path.resolve(__dirname, '..', 'rewind.config.ts');
    const rewind = async (...args: string[]) =>
      (
        await run(process.execPath, [cli, '--config', config, ...args], {
          env: { ...process.env, REWIND_DATA_DIR: dataDir },
          timeout: 60_000,
        })
      ).stdout;
    const status = JSON.parse(await rewind('projections', 'status', '--json')) as {
      projections: { name: string; eventsBehind: number; deadLetters: number }[];
    };
    expect(status.projections.map((p) => [p.name, p.eventsBehind, p.deadLetters])).toEqual(
      ['menu', 'order-summaries', 'kitchen-queue', 'delivery-board', 'sales-per-day']
        .concat(['payment-reactor', 'kitchen-reactor', 'delivery-reactor', 'order-reactor'])
        .map((name) => [name, 0, 0]),
    );
    const bisect = await rewind('bisect', 'order', '1001', '--predicate', 'paid');
    expect(bisect).toContain('First holds at revision 1, caused by order.paid');
  }, 60_000);

  it('continues on a second run from the state the first one kept, charging no card twice', async () => {
    const second = await demo(dataDir);
    expect(second).toContain(`data directory: ${dataDir}\n`);
    expect(second).toContain('state: continuing a previous run (3 orders found; --reset starts clean)');
    expect(second).toMatch(/1004\s+Jisoo\s+2 x energy bar\+, 1 x oat bar\s+7300\s+paid/);
    expect(second).toContain('It is already "energy bar+" (renamed in an earlier run)');
    expect(second).toMatch(/energy bar\+\s+6\s+15300/);
    expect(second).toContain('card charges before: 3, after: 3');
    expect(section(second, 'clerk').match(/\s2\s+\d+$/gm)).toHaveLength(1);
    expect(second).toContain('10. Order 1004: its history with diffs');
  }, 60_000);

  it('starts clean with --reset', async () => {
    const again = await demo(dataDir, '--reset');
    expect(again).toContain('state: a fresh shop');
    expect(again).toContain('-- before');
    expect(again).toContain('10. Order 1001: its history with diffs');
  }, 60_000);
});
