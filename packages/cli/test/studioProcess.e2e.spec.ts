// `rewind studio` as a process (the built CLI), read-only: the printed URL opens it, writes are refused
// by the API (403 naming --allow-writes) and disabled in the page, and SIGTERM stops it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { BIN } from './support/runCli';
import {
  launchBrowser,
  horizontalOverflow,
  openPage,
  rendered,
  seedStudioShop,
  seriousViolations,
} from './support/studioBrowser';

const CONFIG = join(__dirname, 'fixtures', 'studio', 'rewind.config.ts');

describe('rewind studio (a process, read-only)', () => {
  let dir: string;
  let child: ChildProcess;
  let url: string;
  let base: string;
  let token: string;
  let stdout = '';
  let browser: Browser;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}/api/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-studio-process-'));
    await seedStudioShop(dir);
    child = spawn(process.execPath, [BIN, '--config', CONFIG, 'studio', '--port', '0', '--no-open'], {
      env: { ...process.env, REWIND_DATA_DIR: dir, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /Rewind Studio: (http:\/\/\S+)/.exec(stdout);
        if (found) resolve(found[1]!);
      });
      child.on('exit', (code) =>
        reject(new Error(`rewind studio exited (${code}) before printing its URL: ${stderr}`)),
      );
    });
    base = url.split('/?')[0]!;
    token = new URL(url).searchParams.get('token')!;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds to 127.0.0.1 and prints a URL with a token, saying it is read-only', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);
    expect(stdout).toContain('Read-only: start with --allow-writes');
    const info = (await (await api('info')).json()) as { allowWrites: boolean; aggregates: string[] };
    expect(info).toMatchObject({
      allowWrites: false,
      aggregates: expect.arrayContaining(['order', 'payment']),
    });
    expect((await fetch(`${base}/api/info`)).status).toBe(401);
  });

  it('refuses every write with 403 naming --allow-writes, and changes nothing', async () => {
    const { deadLetters } = (await (await api('dead-letters')).json()) as {
      deadLetters: Array<{ id: string }>;
    };
    expect(deadLetters).toHaveLength(1);
    for (const path of [
      `dead-letters/${deadLetters[0]!.id}/retry`,
      `dead-letters/${deadLetters[0]!.id}/skip`,
      'projections/order-summaries/pause',
      'projections/order-summaries/resume',
      'projections/order-summaries/rebuild',
    ]) {
      const response = await api(path, { method: 'POST' });
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
      expect(((await response.json()) as { detail: string }).detail).toContain(
        'rewind studio --allow-writes',
      );
    }
    expect(
      ((await (await api('dead-letters')).json()) as { deadLetters: unknown[] }).deadLetters,
    ).toHaveLength(1);
    const [status] = (
      (await (await api('projections')).json()) as { projections: Array<{ paused: boolean }> }
    ).projections;
    expect(status!.paused).toBe(false);
  });

  it('disables the write buttons in the page and says how to allow them', async () => {
    const { page, errors, close } = await openPage(browser);
    try {
      await page.goto(url);
      await rendered(page);
      expect(await page.locator('#mode').textContent()).toBe('Read-only');
      await page.goto(`${base}/#/dead-letters`);
      await rendered(page);
      await page.waitForSelector('button[data-write=Retry]');
      expect(await page.locator('button[data-write=Retry]').isDisabled()).toBe(true);
      expect(await page.locator('p.note').textContent()).toContain('rewind studio --allow-writes');
      await page.goto(`${base}/#/projections`);
      await rendered(page);
      const buttons = page.locator('button[data-write]');
      expect(await buttons.count()).toBeGreaterThan(0);
      for (const button of await buttons.all()) expect(await button.isDisabled()).toBe(true);
      expect(await seriousViolations(page)).toEqual([]);
      expect(await horizontalOverflow(page)).toBe(0);
      expect(await horizontalOverflow(page)).toBe(0);
    } finally {
      await close();
    }
    expect(errors).toEqual([]);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
