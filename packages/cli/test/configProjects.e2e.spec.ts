import { runCli } from './support/runCli';
import { tempProject, type TempProject } from './support/tempProject';

jest.setTimeout(120_000);

/** A domain in TypeScript, ESM syntax: `./clock.js` is clock.ts on disk, as nodenext wants it written. */
const DOMAIN = `import { injectable } from 'inversify';
import { Clock } from './clock.js';

export { Clock };

/** Injected by constructor type alone: only works when \`design:paramtypes\` survived loading. */
@injectable()
export class Greeter {
  constructor(readonly clock: Clock) {}
}

export const DOMAIN_NAME = 'shop';
`;
const CLOCK = `import { injectable } from 'inversify';

@injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
`;

/** A config body importing the domain from `from`; it fails to load when decorator metadata was lost. */
const config = (from: string): string => `import 'reflect-metadata';
import { InMemoryEventStore } from '@rewind/core';
import { defineConfig } from '@rewind/cli';
import { Container } from 'inversify';
import { Clock, DOMAIN_NAME, Greeter } from '${from}';

const container = new Container();
container.bind(Clock).toSelf();
container.bind(Greeter).toSelf();
if (!(container.get(Greeter).clock instanceof Clock)) throw new Error('decorator metadata was dropped');
if (DOMAIN_NAME !== 'shop') throw new Error('the domain was not loaded');
// ESM-only syntax: import.meta works in a config compiled to CommonJS.
if (!import.meta.url.startsWith('file://')) throw new Error('import.meta.url is ' + import.meta.url);

export default defineConfig({ eventStore: () => new InMemoryEventStore(), container: () => container });
`;

const NODENEXT = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  },
};
const ESM_PACKAGE = { name: 'esm-shop', private: true, type: 'module' };

describe('rewind with the config of a real project', () => {
  const projects: TempProject[] = [];
  const project = (files: Record<string, string | object>): string => {
    const p = tempProject(files);
    projects.push(p);
    return p.dir;
  };
  afterAll(() => projects.forEach((p) => p.remove()));

  /** `rewind --json streams list` found from the project directory: loads the config and opens the store. */
  const listStreams = (cwd: string) => runCli(['--json', 'streams', 'list'], { cwd });
  const expectLoaded = (run: Awaited<ReturnType<typeof listStreams>>) => {
    expect(run.stderr).toBe('');
    expect({ code: run.code, stdout: JSON.parse(run.stdout || 'null') }).toEqual({
      code: 0,
      stdout: { streams: [] },
    });
  };

  it('loads rewind.config.ts of an ESM nodenext project that imports ./src/domain.js (domain.ts on disk)', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'tsconfig.json': NODENEXT,
      'src/domain.ts': DOMAIN,
      'src/clock.ts': CLOCK,
      'rewind.config.ts': config('./src/domain.js'),
    });
    expectLoaded(await listStreams(cwd));
  });

  it('finds and loads rewind.config.mts, whose imports are .mts and .ts files written as .mjs and .js', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'tsconfig.json': NODENEXT,
      'src/domain.mts': DOMAIN,
      'src/clock.ts': CLOCK,
      'rewind.config.mts': config('./src/domain.mjs'),
    });
    expectLoaded(await listStreams(cwd));
  });

  it('finds and loads rewind.config.cts in an ESM package', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'tsconfig.json': NODENEXT,
      'src/domain.ts': DOMAIN,
      'src/clock.ts': CLOCK,
      'rewind.config.cts': config('./src/domain.js'),
    });
    expectLoaded(await listStreams(cwd));
  });

  it('finds and loads rewind.config.mjs (an ES module, imported)', async () => {
    const cwd = project({
      'package.json': { name: 'cjs-shop', private: true },
      'store.mjs': `import { InMemoryEventStore } from '@rewind/core';\nexport const open = () => new InMemoryEventStore();\n`,
      'rewind.config.mjs': `import { defineConfig } from '@rewind/cli';\nimport { open } from './store.mjs';\n\nexport default defineConfig({ eventStore: open });\n`,
    });
    expectLoaded(await listStreams(cwd));
  });

  it('loads rewind.config.js written as an ES module in a "type": "module" package', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'rewind.config.js': `import { InMemoryEventStore } from '@rewind/core';\nimport { defineConfig } from '@rewind/cli';\n\nexport default defineConfig({ eventStore: () => new InMemoryEventStore() });\n`,
    });
    expectLoaded(await listStreams(cwd));
  });

  it('resolves tsconfig paths (from an extended tsconfig, comments and trailing commas allowed)', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'tsconfig.base.json': `{
        // the mapping lives in the base file; its targets are relative to it
        "compilerOptions": {
          "paths": { "@app/*": ["./src/*"], },
        },
      }`,
      'tsconfig.json': `{ "extends": "./tsconfig.base.json", /* nodenext */ "compilerOptions": ${JSON.stringify(NODENEXT.compilerOptions)} }`,
      'src/domain.ts': DOMAIN,
      'src/clock.ts': CLOCK,
      'rewind.config.ts': config('@app/domain'),
    });
    expectLoaded(await listStreams(cwd));
  });

  it('resolves imports against tsconfig baseUrl', async () => {
    const cwd = project({
      'package.json': { name: 'cjs-shop', private: true },
      'tsconfig.json': {
        compilerOptions: {
          ...NODENEXT.compilerOptions,
          module: 'commonjs',
          moduleResolution: 'node10',
          baseUrl: 'src',
        },
      },
      'src/domain.ts': DOMAIN.replace('./clock.js', 'clock'),
      'src/clock.ts': CLOCK,
      'rewind.config.ts': config('domain'),
    });
    expectLoaded(await listStreams(cwd));
  });

  it('still says which import is missing when neither the .js file nor a .ts one exists', async () => {
    const cwd = project({
      'package.json': ESM_PACKAGE,
      'tsconfig.json': NODENEXT,
      'rewind.config.ts': config('./src/nowhere.js'),
    });
    const run = await runCli(['streams', 'list'], { cwd });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("Cannot find module './src/nowhere.js'");
    expect(run.stderr).toContain('Fix the error in the config');
  });
});
