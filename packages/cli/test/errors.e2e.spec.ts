import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_CONFIG, runCli } from './support/runCli';

jest.setTimeout(120_000);

const fixture = (name: string, file = 'rewind.config.ts') => join(__dirname, 'fixtures', name, file);

describe('rewind: config and failures', () => {
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(join(tmpdir(), 'rewind-noconfig-'));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('says where it looked and how to create a config when none is found (exit 3)', async () => {
    const run = await runCli(['streams', 'list'], { cwd: empty });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `No config file (rewind.config.ts, rewind.config.mts, rewind.config.cts, rewind.config.js, rewind.config.mjs, rewind.config.cjs) found in ${empty} or any parent directory`,
    );
    expect(run.stderr).toContain('Create rewind.config.ts in your project root');
    expect(run.stderr).toContain('--config <path>');
  });

  it('finds the config by walking up from the working directory', async () => {
    const run = await runCli(['streams', 'list'], { cwd: join(__dirname, 'fixtures', 'metadata', 'src') });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('No streams.\n');
  });

  it('reports failures as JSON on stderr under --json', async () => {
    const run = await runCli(['--json', 'streams', 'list'], { cwd: empty });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toEqual({
      error: {
        exitCode: 3,
        message: expect.stringContaining(
          'No config file (rewind.config.ts, rewind.config.mts, rewind.config.cts, rewind.config.js, rewind.config.mjs, rewind.config.cjs) found',
        ),
      },
    });
  });

  it('reports errors of the argument parser as JSON on stderr under --json (exit 2)', async () => {
    for (const args of [['travle'], ['travel', 'order'], ['streams', 'list', '--limt', '3']]) {
      const run = await runCli(['--json', ...args], { cwd: empty });
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(JSON.parse(run.stderr)).toEqual({
        error: {
          exitCode: 2,
          message: expect.stringMatching(/unknown command|missing required argument|unknown option/),
        },
      });
    }
  });

  it('names an eventStore factory that never settles, after openTimeoutMs (exit 3)', async () => {
    const run = await runCli(['--config', fixture('factories'), 'streams', 'list'], {
      env: { REWIND_FACTORY: 'hang' },
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(
      `The eventStore factory in ${fixture('factories')} did not settle within 500 ms`,
    );
    expect(run.stderr).toContain('openTimeoutMs');
  });

  it('names an eventStore factory that returns nothing (exit 3)', async () => {
    const run = await runCli(['--config', fixture('factories'), 'streams', 'list'], {
      env: { REWIND_FACTORY: 'undefined' },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`The eventStore factory in ${fixture('factories')} returned undefined`);
    expect(run.stderr).not.toContain('TypeError');
  });

  it('names a --config path that does not exist (exit 3)', async () => {
    const run = await runCli(['--config', join(empty, 'nope.ts'), 'streams', 'list']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`No config file at ${join(empty, 'nope.ts')}`);
  });

  it('keeps decorator metadata while loading a TypeScript config (inversify constructor injection)', async () => {
    const run = await runCli(['--json', '--config', fixture('metadata'), 'streams', 'list']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ streams: [] });
  });

  it('loads a plain .js config', async () => {
    const run = await runCli(['--config', fixture('plain', 'rewind.config.js'), 'streams', 'list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('No streams.\n');
  });

  it('reports a config that throws while loading, with its message (exit 3)', async () => {
    const run = await runCli(['--config', fixture('broken'), 'streams', 'list']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `Could not load ${fixture('broken')}: REWIND_SECRET is not set. Fix the error in the config`,
    );
  });

  it('reports an unreachable store with the cause and what to check (exit 5)', async () => {
    const run = await runCli(['--config', FIXTURE_CONFIG, 'streams', 'list'], {
      env: { REWIND_DATA_DIR: join(empty, 'missing') },
    });
    expect(run.code).toBe(5);
    expect(run.stderr).toContain('Could not open the event store configured in');
    expect(run.stderr).toContain('does not exist');
    expect(run.stderr).toContain('Check that it is reachable and that the connection settings');
  });

  it('shows help with an example for every command (exit 0)', async () => {
    const commands = [
      ['travel'],
      ['history'],
      ['bisect'],
      ['streams', 'list'],
      ['streams', 'read'],
      ['projections', 'status'],
      ['dead-letters', 'retry'],
      ['rebuild'],
      ['readmodel'],
    ];
    for (const command of commands) {
      const run = await runCli([...command, '--help'], { cwd: empty });
      expect({ command, code: run.code }).toEqual({ command, code: 0 });
      expect(run.stdout).toMatch(new RegExp(`Examples?:\\n {2}\\$ rewind ${command.join(' ')}`));
    }
  });

  it('rejects an unknown command with usage help (exit 2)', async () => {
    const run = await runCli(['travle'], { cwd: empty });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'travle'");
    expect(run.stderr).toContain('(Did you mean travel?)');
  });
});
