// Rewind Studio on a big log: milliseconds from navigation to the first render of the streams page and
// of an aggregate's timeline, in headless Chromium, over a 1,000,000-event SQLite store (30,000 with
// --quick) written by scripts/make-big-store.mjs and kept between runs (REWIND_STUDIO_BENCH_DIR, default
// <tmp>/rewind-studio-bench-<events>). Baseline: the Studio's page with no data to show (a view that
// asks the server nothing beyond /api/info), measured in the same run.
//   node bench/studio.bench.js [--quick]    (after `npm run build`; needs /usr/bin/chromium or CHROMIUM_PATH)
//   npm run bench -- studio
'use strict';
const { spawn } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { chromium } = require('playwright-core');
const { median } = require('./lib');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'packages', 'cli', 'dist', 'bin.js');
const CONFIG = path.join(ROOT, 'examples', 'energy-bar-shop', 'rewind.config.ts');
const RUNS = 5;

/** Starts `rewind studio` over the store in `dir`; resolves to its URL and the process. */
function startStudio(dir) {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, '--config', CONFIG, 'studio', '--port', '0', '--no-open'], {
    env: { ...process.env, REWIND_DATA_DIR: dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const found = /Rewind Studio: (http:\/\/\S+)/.exec(out);
      if (found) resolve({ url: found[1], child, startMs: Number(process.hrtime.bigint() - started) / 1e6 });
    });
    child.on('exit', (code) => reject(new Error(`rewind studio exited (${code}): ${err}`)));
  });
}

/** Median ms from navigation start to `selector` being on the page, over RUNS fresh loads of `url`. */
async function timeToRender(page, url, selector) {
  const times = [];
  for (let i = 0; i < RUNS + 1; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    await page.waitForSelector(selector);
    const ms = await page.evaluate('performance.now()');
    if (i > 0) times.push(ms); // the first load warms the server's caches and the browser's
  }
  return median(times);
}

async function run({ quick }) {
  const events = quick ? 30_000 : 1_000_000;
  const dir = process.env.REWIND_STUDIO_BENCH_DIR ?? path.join(os.tmpdir(), `rewind-studio-bench-${events}`);
  const { makeBigStore, orderStream } = await import(
    pathToFileURL(path.join(ROOT, 'scripts', 'make-big-store.mjs')).href
  );
  const started = Date.now();
  const count = await makeBigStore(dir, { events });
  process.stderr.write(
    `studio: ${count} events in ${dir} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
  );
  const { url, child, startMs } = await startStudio(dir);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url); // sets the token cookie
    await page.waitForSelector('main:not([aria-busy]) h1');
    const base = url.split('/?')[0];
    const middle = orderStream(Math.ceil(count / 6)).slice('order-'.length);
    const shell = await timeToRender(page, `${base}/#/nowhere`, 'main:not([aria-busy]) h1');
    const streams = await timeToRender(page, `${base}/#/streams`, '#stream-list tbody tr');
    const byType = await timeToRender(
      page,
      `${base}/#/streams?aggregate=order&prefix=order-0${middle.slice(1, 4)}`,
      '#stream-list tbody tr',
    );
    const timeline = await timeToRender(page, `${base}/#/aggregate/order/${middle}`, '#state pre');
    const row = (figure, value) => ({
      figure: `${figure}, navigation to first render (${count.toLocaleString('en-US')} events)`,
      unit: 'ms',
      value,
      baseline: shell,
      baselineLabel: 'the page with no data',
      ratio: value / shell,
      target: '< 1000 ms',
      pass: value < 1000,
    });
    return [
      {
        figure: `rewind studio, from the command to its URL printed (${count.toLocaleString('en-US')} events)`,
        unit: 'ms',
        value: startMs,
        note: 'one run: node, the config (swc), the stores opened',
      },
      row('streams page', streams),
      row('streams of a type by prefix', byType),
      row("an order's timeline with its state", timeline),
    ];
  } finally {
    await browser.close();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

module.exports = { run };

if (require.main === module) {
  run({ quick: process.argv.includes('--quick') }).then(
    (rows) => console.table(rows),
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
