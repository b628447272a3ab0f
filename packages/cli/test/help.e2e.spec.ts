import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, runCli } from './support/runCli';
import { tempProject, type TempProject } from './support/tempProject';

jest.setTimeout(120_000);

const VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }
).version;

describe('rewind --version and --help', () => {
  let project: TempProject;
  beforeAll(() => {
    // A config that fails the moment it is loaded: any command that loads it exits 3.
    project = tempProject({
      'package.json': { name: 'throwing', private: true },
      'rewind.config.ts': "throw new Error('the config was loaded');\nexport default {};\n",
    });
  });
  afterAll(() => project.remove());

  it.each([['--version'], ['-V']])('%s prints the version of the package', async (flag) => {
    const run = await runCli([flag], { cwd: project.dir });
    expect(run).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it.each([[['--help']], [['readmodel', '--help']], [['streams', 'list', '--help']], [['help', 'rebuild']]])(
    '%j does not load the config',
    async (args) => {
      const run = await runCli(args, { cwd: project.dir });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: rewind');
    },
  );

  it('a command does load it (so the cases above prove something)', async () => {
    const run = await runCli(['streams', 'list'], { cwd: project.dir });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('the config was loaded');
  });

  it('--help loads neither swc nor the @rewind packages nor inversify', async () => {
    // In one process: run the program with --help, then list what require() loaded.
    const script = `
      const { run } = require(${JSON.stringify(join(BIN, '..', 'program.js'))});
      run(['--help']).then((code) => {
        const loaded = Object.keys(require.cache).filter((p) =>
          /[\\\\/](@swc|inversify|class-validator|cli-progress)[\\\\/]|[\\\\/]packages[\\\\/](core|projections)[\\\\/]|[\\\\/]config[\\\\/]loadConfig/.test(p));
        process.stderr.write(JSON.stringify({ code, loaded }));
      });`;
    const stderr = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: project.dir, timeout: 60_000 }, (error, _out, err) =>
        error ? reject(error) : resolve(err),
      ),
    );
    expect(JSON.parse(stderr)).toEqual({ code: 0, loaded: [] });
  });
});
