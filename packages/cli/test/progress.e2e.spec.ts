import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, FIXTURE_CONFIG, runCli } from './support/runCli';
import { seedShop } from './support/seedShop';

jest.setTimeout(120_000);

/** Runs a shell command under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
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

  it('never shows a percentage before the total is known', async () => {
    const { code, output } = await inTerminal(
      `${process.execPath} ${BIN} --config ${FIXTURE_CONFIG} rebuild order-summary --yes`,
      { REWIND_DATA_DIR: dir, SHOP_POISON_FIXED: '1' },
    );
    expect(code).toBe(0);
    // Frames are separated by line ends and the terminal's control sequences (ESC [ ... letter).
    const frames = output
      .split(String.fromCharCode(27))
      .map((piece) => piece.replace(/^\[[\d;?]*[A-Za-z]/, ''))
      .flatMap((piece) => piece.split(/[\r\n]/))
      .filter((f) => f.startsWith('order-summary ['));
    expect(frames.length).toBeGreaterThan(0);
    // A percentage comes with a counted total (an ETA) or at the end, never with "ETA -".
    expect(frames.filter((f) => f.includes('%') && f.includes('ETA -'))).toEqual([]);
    for (const frame of frames)
      expect(frame).toMatch(/^order-summary (\[counting…\] \d+ events|\[[█░]+\] \d+% \| \d+\/\d+ events)/);
  });

  it('draws the bar on stderr: with stderr discarded, the terminal shows only the result', async () => {
    const { code, output } = await inTerminal(
      `${process.execPath} ${BIN} --config ${FIXTURE_CONFIG} rebuild order-summary --yes 2>/dev/null`,
      { REWIND_DATA_DIR: dir, SHOP_POISON_FIXED: '1' },
    );
    expect(code).toBe(0);
    expect(output).toMatch(
      /^order-summary: 7 events in [\d.]+s into order-summary@v1\S* \(now served.*\.\r?\n$/,
    );
  });

  it('draws the bar on stderr: with stdout discarded, the terminal shows only the bar', async () => {
    const { code, output } = await inTerminal(
      `${process.execPath} ${BIN} --config ${FIXTURE_CONFIG} rebuild order-summary --yes >/dev/null`,
      { REWIND_DATA_DIR: dir, SHOP_POISON_FIXED: '1' },
    );
    expect(code).toBe(0);
    expect(output).toMatch(/order-summary \[[█░]+\] 100% \| 7\/7 events/);
    expect(output).not.toContain('now served');
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

describe('rewind rebuild into a pipe', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewind-cli-pipe-'));
    await seedShop(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the result alone to stdout and the progress lines to stderr', async () => {
    const run = await runCli(['--config', FIXTURE_CONFIG, 'rebuild', 'order-summary', '--yes'], {
      env: { REWIND_DATA_DIR: dir, SHOP_POISON_FIXED: '1' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^order-summary: 7 events in [\d.]+s into order-summary@v1\S* \(now served[^\n]*\.\n$/,
    );
    expect(run.stderr).toMatch(/^order-summary: done 7 events, position 7, \d+ events\/s$/m);
  });
});
