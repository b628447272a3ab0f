// Rewind Studio in a real browser (headless Chromium), over the energy-bar shop's log on SQLite, with
// --allow-writes. Each view is also checked with axe-core at 400 px wide, and no console error is allowed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { openEventStore } from '@rewind/energy-bar-shop';
import { CliContext } from '../src/context';
import { startStudio, type RunningStudio } from '../src/studio/studioServer';
import { auditFix, studioShopConfig } from './fixtures/studio/studioShop';
import {
  launchBrowser,
  horizontalOverflow,
  openPage,
  rendered,
  screenshot,
  seedStudioShop,
  seriousViolations,
  type WatchedPage,
} from './support/studioBrowser';

describe('Rewind Studio in the browser (energy-bar shop on SQLite, --allow-writes)', () => {
  let dir: string;
  let ctx: CliContext;
  let studio: RunningStudio;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let base: string;
  const api = async (path: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${base}/api/${path}`, {
      headers: { authorization: `Bearer ${studio.token}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  };
  const go = async (hash: string): Promise<void> => {
    await page.goto(`${base}/${hash}`);
    await rendered(page);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-studio-'));
    await seedStudioShop(dir);
    ctx = CliContext.fromConfig(join(dir, 'rewind.config.ts'), studioShopConfig(dir));
    studio = await startStudio({ ctx, allowWrites: true });
    base = studio.url.split('/?')[0]!;
    browser = await launchBrowser();
  });

  beforeEach(async () => {
    watched = await openPage(browser);
    page = watched.page;
    // The printed URL sets the token cookie and leaves for the page without it in the address bar.
    await page.goto(studio.url);
    await rendered(page);
    expect(page.url()).toBe(`${base}/`);
  });

  afterEach(async () => {
    const errors = watched.errors;
    await watched.close();
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await ctx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists streams by aggregate type with their event counts, and opens one', async () => {
    await page.selectOption('#aggregate', 'order');
    await page.click('form[role=search] button');
    await page.waitForSelector('#stream-list a[href="#/aggregate/order/1001"]');
    const row = page.locator('tr', { has: page.locator('a[href="#/aggregate/order/1001"]') });
    expect(await row.locator('td').allTextContents()).toEqual(['order-1001', '3', '2']);
    expect(await page.locator('#stream-list tbody tr').count()).toBe(3);
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'streams');
    await page.click('a[href="#/aggregate/order/1001"]');
    await rendered(page);
    expect(await page.locator('h1').textContent()).toBe('order 1001');
  });

  it("shows an order's timeline with each event's diff, and the state at revision N", async () => {
    await go('#/aggregate/order/1001');
    const types = await page.locator('ol.timeline > li .type').allTextContents();
    expect(types).toEqual(['order.placed', 'order.paid', 'order.completed']);
    expect(await page.locator('#rev-0 ul.changes').textContent()).toContain('~ status: "new" → "placed"');
    expect(await page.locator('#rev-1 ul.changes').textContent()).toContain('~ status: "placed" → "paid"');
    // The state at the last revision first; a click on #0 travels back.
    await page.waitForSelector('#state pre');
    expect(await page.locator('#state pre').textContent()).toContain('"status": "completed"');
    await page.click('#rev-0 button.rev');
    await page.locator('#state pre', { hasText: '"placed"' }).waitFor();
    expect(await page.locator('#state-heading').textContent()).toBe('State at revision 0');
    expect(await page.locator('#rev-0').getAttribute('aria-current')).toBe('step');
    // The slider too: revision 1 is the paid order, as `rewind travel order 1001 --revision 1` says.
    await page.locator('#revision').fill('1');
    await page.locator('#state pre', { hasText: '"paid"' }).waitFor();
    const travelled = (await api('aggregates/order/1001/state?revision=1')) as { state: { status: string } };
    expect(travelled.state.status).toBe('paid');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'timeline');
  });

  it('bisects: the first revision where a condition holds is highlighted on the timeline', async () => {
    await go('#/aggregate/order/1001');
    await page.fill('#bisect-where', 'status == "paid"');
    await page.click('text=Find first revision');
    await page.waitForSelector('#bisect-revision');
    expect(await page.locator('#bisect-revision').textContent()).toBe('1');
    expect(await page.locator('#rev-1').getAttribute('class')).toContain('hit');
    expect(await page.locator('#rev-1 .badge').textContent()).toBe('first holds here');
    expect(await page.locator('li.hit').count()).toBe(1);
    // A named predicate from the config, and a condition that never holds.
    await page.fill('#bisect-where', '');
    await page.selectOption('#bisect-predicate', 'paid');
    await page.click('text=Find first revision');
    await page.locator('#bisect-result', { hasText: '1' }).waitFor();
    await page.fill('#bisect-where', 'total > 1000000');
    await page.click('text=Find first revision');
    await page.locator('#bisect-result', { hasText: 'never holds' }).waitFor();
    await page.fill('#bisect-where', 'status == "paid"');
    await page.click('text=Find first revision');
    await page.waitForSelector('#rev-1.hit');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'bisect');
    // A bisect is a link too: the condition in the address runs on arrival.
    await go(`#/aggregate/order/1001?where=${encodeURIComponent('total >= 7000 && status == "completed"')}`);
    await page.waitForSelector('#rev-2.hit');
    expect(await page.locator('#bisect-where').inputValue()).toBe('total >= 7000 && status == "completed"');
  });

  it('draws the causation chain of order 1001 across payment, kitchen and delivery', async () => {
    await go('#/aggregate/order/1001');
    await page.click('a[href="#/causation/order-1001/0"]');
    await page.waitForSelector('#chain');
    const chain: string[] = [];
    for (const li of await page.locator('#chain li').all())
      chain.push(`${await li.getAttribute('data-stream')} ${await li.getAttribute('data-type')}`);
    expect(chain).toEqual(
      expect.arrayContaining([
        'order-1001 order.placed',
        'payment-1001 payment.requested',
        'payment-1001 payment.captured',
        'ticket-1001 kitchen.ticket-opened',
        'delivery-1001 delivery.scheduled',
        'order-1001 order.paid',
      ]),
    );
    // A tree: the payment was captured because it was requested, which the placed order set off.
    const captured = page.locator(
      '#chain > li > ul > li[data-type="payment.requested"] li[data-type="payment.captured"]',
    );
    expect(await captured.count()).toBe(1);
    expect(await page.locator('#chain > li').first().getAttribute('data-type')).toBe('order.placed');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'causation');
  });

  it('shows a read model as of a past time next to the live one, with the diff', async () => {
    const timeline = (await api('aggregates/order/1001/timeline')) as {
      events: Array<{ recordedAt: string }>;
    };
    const placedAt = timeline.events[0]!.recordedAt;
    await go('#/projections');
    expect(await page.locator('tr[data-projection="order-summaries"] td.state').textContent()).toBeTruthy();
    await page.click('a[href="#/projection/order-summaries"]');
    await rendered(page);
    await page.click('nav.tabs a[href="#/projection/order-summaries?collection=orders"]');
    await page.waitForSelector('#live-heading:text("Live: orders")');
    expect(await page.locator('#live-model ul.docs').textContent()).toContain('"status": "delivered"');
    await page.fill('#as-of-at', placedAt);
    await page.click('#main form button[type=submit]');
    await page.waitForSelector('#diff');
    const diff = await page.locator('#diff').textContent();
    // Order 1001 was placed then; it has been delivered since.
    expect(diff).toContain('~ 1001');
    expect(diff).toMatch(/~ status: "[^"]+" → "delivered"/);
    expect(await page.locator('#as-of ul.docs').textContent()).toContain('1001');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'read-model-as-of');
  });

  it('retries a dead letter after the fix, confirming in a dialog', async () => {
    await go('#/dead-letters');
    const row = page.locator('tr', { hasText: 'order-audit' });
    expect(await row.textContent()).toContain('No audit rule for order 1002');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'dead-letters');
    // Cancelling the dialog changes nothing.
    await row.locator('button[data-write=Retry]').click();
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('dialog#confirm button[value=cancel]');
    expect(((await api('dead-letters')) as { deadLetters: unknown[] }).deadLetters).toHaveLength(1);
    auditFix.deployed = true;
    await row.locator('button[data-write=Retry]').click();
    await page.waitForSelector('dialog#confirm[open]');
    expect(await page.locator('#confirm-text').textContent()).toContain(
      'order.placed (order-1002 #0) to order-audit',
    );
    await page.click('#confirm-ok');
    await page.waitForSelector('#no-dead-letters');
    const audit = (await api('projections/order-audit/collections/audit')) as {
      documents: Array<{ key: string }>;
    };
    expect(audit.documents.map((d) => d.key)).toEqual(['1001', '1002', '1003']);
  });

  it('shows new events live, as they are appended, without reloading', async () => {
    await go('#/live');
    await page.waitForSelector('#live-state[data-live=true]');
    expect(await page.locator('#live-events li').count()).toBeGreaterThan(0);
    // Another process's store appends: the Studio polls the same SQLite file.
    const store = await openEventStore({ dataDir: dir, env: {} });
    try {
      await store.append('audit-live', [
        {
          type: 'studio.pinged',
          data: { n: 1 },
          metadata: {
            schemaVersion: 1,
            correlationId: randomUUID(),
            causationId: randomUUID(),
            occurredAt: new Date().toISOString(),
          },
        },
      ]);
    } finally {
      await store.close();
    }
    await page.waitForSelector('#live-events li[data-stream="audit-live"]');
    expect(await page.locator('#live-events li').first().getAttribute('data-stream')).toBe('audit-live');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBe(0);
    await screenshot(page, 'live');
  });

  it('answers the API without a token with 401 and a JSON problem', async () => {
    const response = await fetch(`${base}/api/streams`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 401, detail: expect.stringContaining('?token=') });
    const wrong = await fetch(`${base}/?token=nope`);
    expect(wrong.status).toBe(401);
  });
});
