import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURE_CONFIG } from './support/runCli';
import { seedShop } from './support/seedShop';

jest.setTimeout(120_000);

/** Runs a shell command under a pseudo-terminal (util-linux `script`), so stdout is a TTY. */
function inTerminal(
  command: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { env: { ...process.env, ...env }, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: stdout }),
    );
  });
}

describe('rewind rebuild on a terminal', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-tty-'));
    await seedShop(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders a progress bar with events/s, position and ETA, and finishes it cleanly', async () => {
    const { code, output } = await inTerminal(
      `${process.execPath} ${BIN} --config ${FIXTURE_CONFIG} rebuild order-summary --yes`,
      { REWIND_DATA_DIR: dir, SHOP_POISON_FIXED: '1' },
    );
    expect(code).toBe(0);
    expect(output).toContain('\x1b[?25l'); // cursor hidden while the bar runs
    expect(output).toMatch(
      /order-summary \[[█░]+\] 100% \| 7\/7 events \| \d+ ev\/s \| position 7 \| ETA \S+ \| done/,
    );
    expect(output).toContain('\x1b[?25h'); // cursor shown again
    const tail = output.slice(output.lastIndexOf('\x1b[?25h'));
    expect(tail).toMatch(/order-summary: 7 events in [\d.]+s into order-summary@v1\S* \(now served/);
    expect(output).not.toMatch(/order-summary: building \d+ events, position/); // no plain lines on a TTY
  });

  it('asks for confirmation on a terminal and rebuilds nothing when refused', async () => {
    const { code, output } = await inTerminal(
      `echo n | ${process.execPath} ${BIN} --config ${FIXTURE_CONFIG} rebuild order-summary`,
      { REWIND_DATA_DIR: dir },
    );
    expect(code).toBe(2);
    expect(output).toContain('Rebuild not confirmed');
  });
});
