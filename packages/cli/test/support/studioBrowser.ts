// Rewind Studio's browser tests: a headless Chromium (Debian's `chromium`, driven by playwright-core),
// axe-core for accessibility, screenshots for the docs, and the energy-bar shop's log as data.
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createRewind } from '@rewind/core';
import { ProjectionEngine } from '@rewind/projections';
import { AGGREGATES, openEventStore, openReadModelStore } from '@rewind/energy-bar-shop';
import { OrderAudit } from '../fixtures/studio/studioShop';

/**
 * Where the browser tests write their screenshots: the docs' folder (docs/public/studio, what the
 * Studio page shows) with `REWIND_SCREENSHOTS=docs` (`npm run docs:screenshots`), a temporary folder
 * otherwise, so that a test run leaves the working tree as it was.
 */
export const SCREENSHOTS =
  process.env.REWIND_SCREENSHOTS === 'docs'
    ? join(__dirname, '..', '..', '..', '..', 'docs', 'public', 'studio')
    : join(tmpdir(), 'rewind-studio-screenshots');

/** The Chromium to drive: CHROMIUM_PATH, else Debian's package. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches headless Chromium. @throws Error naming the binary and how to install it when it is missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH.`,
    );
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A page and the console errors (and uncaught exceptions) it reported. */
export interface WatchedPage {
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

/**
 * Opens a page (400 px wide unless told otherwise) that records console errors. The Content Security
 * Policy is bypassed only so axe-core can be injected; the Studio itself runs under it.
 */
export async function openPage(browser: Browser, width = 400): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors, close: () => context.close() };
}

/** Waits for the view to finish rendering (main no longer busy, a heading in place). */
export async function rendered(page: Page): Promise<void> {
  await page.waitForSelector('main:not([aria-busy]) h1');
}

/** The serious and critical axe-core violations on the page as it stands (rule id and nodes). */
export async function seriousViolations(page: Page): Promise<Array<{ id: string; nodes: string[] }>> {
  await page.addScriptTag({ content: axe.source });
  const results = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] })",
  )) as axe.AxeResults;
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** How many pixels the page is wider than the window (0: nothing to scroll sideways at 400 px). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )) as number;
}

/**
 * Saves a screenshot of the page for the docs (docs/public/studio/<name>.png), at a desktop width
 * (the tests themselves run at 400 px), then goes back to the page's own size.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 800 });
  try {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  } finally {
    if (size) await page.setViewportSize(size);
  }
}

const DEMO = join(__dirname, '..', '..', '..', '..', 'examples', 'energy-bar-shop', 'dist', 'demo.js');

/**
 * Writes the energy-bar shop's day into `dir` by running its built demo (orders 1001–1003 through
 * payment, kitchen and delivery), then runs the fixture's `order-audit` projection, which parks order
 * 1002 as a dead letter.
 */
export async function seedStudioShop(dir: string): Promise<void> {
  await promisify(execFile)(process.execPath, [DEMO, `--data-dir=${dir}`, '--reset'], { timeout: 120_000 });
  const eventStore = await openEventStore({ dataDir: dir, env: {} });
  const store = await openReadModelStore({ dataDir: dir, env: {} });
  try {
    const { events } = createRewind({ eventStore, aggregates: [...AGGREGATES] });
    const engine = new ProjectionEngine({ eventStore, events, store, processors: [OrderAudit] });
    engine.start();
    try {
      await engine.waitForHead();
    } finally {
      await engine.stop();
    }
  } finally {
    await store.close();
    await eventStore.close();
  }
}
