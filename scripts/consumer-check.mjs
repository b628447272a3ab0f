#!/usr/bin/env node
// The consumer-project check (a stage of .ci/run; `npm run test:consumer`): packs every public package,
// lints each tarball (publint, @arethetypeswrong/cli), then creates two fresh projects outside the repo —
// one CommonJS, one ESM with `moduleResolution: nodenext` — installs the tarballs and their peers from
// the registry, compiles the getting-started code with `skipLibCheck: false`, runs it, and drives the
// `rewind` CLI from node_modules/.bin with a TypeScript config. Needs `npm run build` first.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PUBLIC = ['core', 'projections', 'testing', 'sqlite', 'eventstoredb', 'postgres', 'cli'];
const BIN = join(ROOT, 'node_modules', '.bin');
const rootManifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const manifest = (name) => JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8'));

const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'rewind-consumer-'));
const failures = [];

function step(title) {
  console.log(`\n=== ${title}`);
}

/** Runs a command, echoing it and its output; records a failure (and returns null) when it fails. */
function run(command, args, { cwd, env, expect } = {}) {
  console.log(`$ ${[command, ...args].join(' ')}${cwd ? `   (in ${cwd.replace(work, '$WORK')})` : ''}`);
  const result = spawnSync(command, args, {
    cwd,
    // JOBS: node-gyp builds better-sqlite3 with every core where no prebuilt binary can be fetched
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', JOBS: 'max', ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd();
  if (output) console.log(output.replace(/^/gm, '  '));
  if (result.status !== 0) {
    failures.push(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
    return null;
  }
  for (const wanted of expect ?? []) {
    const ok = wanted instanceof RegExp ? wanted.test(result.stdout) : result.stdout.includes(wanted);
    if (!ok) failures.push(`${command} ${args.join(' ')}: stdout lacks ${String(wanted)}`);
  }
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------------
step('pack every public package');
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);
const packed = {};
for (const name of PUBLIC) {
  const json = execFileSync(
    'npm',
    ['pack', '-w', `packages/${name}`, '--pack-destination', tarballs, '--json'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const [info] = JSON.parse(json);
  packed[`@rewind/${name}`] = join(tarballs, info.filename);
  const leaked = info.files.map((f) => f.path).filter((p) => /tsbuildinfo|\/test\/|\.spec\./.test(p));
  if (leaked.length > 0) failures.push(`@rewind/${name} ships ${leaked.join(', ')}`);
  console.log(
    `${`@rewind/${name}`.padEnd(22)} ${info.filename.padEnd(32)} ${(info.size / 1024).toFixed(1).padStart(7)} kB packed ` +
      `${(info.unpackedSize / 1024).toFixed(1).padStart(8)} kB unpacked ${String(info.entryCount).padStart(4)} files`,
  );
}

step('publint and @arethetypeswrong/cli on every tarball');
for (const [name, tarball] of Object.entries(packed)) {
  console.log(`--- ${name}`);
  run(join(BIN, 'publint'), ['run', tarball, '--strict']);
  run(join(BIN, 'attw'), [tarball, '--format', 'table-flipped', '--no-emoji']);
}

// ---------------------------------------------------------------------------------------------------
const peers = {
  'reflect-metadata': rootManifest.devDependencies['reflect-metadata'],
  'class-validator': rootManifest.devDependencies['class-validator'],
  'class-transformer': rootManifest.devDependencies['class-transformer'],
  // an optional peer: this app wires Rewind with inversify (`@rewind/core/inversify`)
  inversify: rootManifest.devDependencies.inversify,
};
const version = manifest('core').version;

/** The program each consumer compiles and runs: the getting-started walk-through, then a SQLite log for the CLI. */
function mainSource(ext) {
  return `import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createRewind } from '@rewind/core';
import { SqliteEventStore } from '@rewind/sqlite';
import { aggregateSpec } from '@rewind/testing';
import { AddItem, Cart, CheckOut, gettingStarted, gettingStartedProjection, ItemAdded } from './domain${ext}';
import { loadedPackages } from './allPackages${ext}';

async function main(): Promise<void> {
  const id = randomUUID();
  const { now, before, rejected } = await gettingStarted(id);
  console.log('now', JSON.stringify({ ...now }));
  console.log('before', JSON.stringify({ ...before }));
  console.log('rejected', (rejected as Error).constructor.name);
  const { summary, then } = await gettingStartedProjection(id);
  console.log('summary', JSON.stringify(summary));
  console.log('then', JSON.stringify(then));
  await aggregateSpec(Cart).when(Object.assign(new AddItem(), { cartId: id, sku: 'bar', quantity: 1 })).then(new ItemAdded(id, 'bar', 1));
  console.log('aggregateSpec passed');
  console.log('packages', loadedPackages().join(' '));

  // a log on the embedded store, for the CLI to rebuild from
  const eventStore = SqliteEventStore.open('events.db');
  const rewind = createRewind({ eventStore, aggregates: [Cart] });
  await rewind.commandBus.executePlain(AddItem, { cartId: '${'5e7e1c0a-1f2b-4c3d-8e9f-0a1b2c3d4e5f'}', sku: 'energy-bar', quantity: 2 });
  await rewind.commandBus.executePlain(AddItem, { cartId: '${'5e7e1c0a-1f2b-4c3d-8e9f-0a1b2c3d4e5f'}', sku: 'energy-bar', quantity: 1 });
  await rewind.commandBus.executePlain(CheckOut, { cartId: '${'5e7e1c0a-1f2b-4c3d-8e9f-0a1b2c3d4e5f'}' });
  eventStore.close();
  console.log('log written');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
`;
}

/** Imports every public entry point, so that every package's declarations are type-checked and loaded. */
const allPackagesSource = `import * as core from '@rewind/core';
import * as coreInversify from '@rewind/core/inversify';
import * as projections from '@rewind/projections';
import * as sqlite from '@rewind/sqlite';
import * as postgres from '@rewind/postgres';
import * as eventstoredb from '@rewind/eventstoredb';
import * as cli from '@rewind/cli';
import * as testing from '@rewind/testing';
import * as testingPostgres from '@rewind/testing/postgres';
import type { RewindConfig } from '@rewind/cli';
import type { ReadModelStore } from '@rewind/projections';
import type { EventStoreUnderTest } from '@rewind/testing/jest';

export type TypesOnly = [RewindConfig, ReadModelStore, EventStoreUnderTest];

export function loadedPackages(): string[] {
  const modules = { core, coreInversify, projections, sqlite, postgres, eventstoredb, cli, testing, testingPostgres };
  return Object.entries(modules).map(([name, m]) => \`\${name}:\${Object.keys(m).length > 0 ? 'ok' : 'empty'}\`);
}
`;

function configSource(domainImport) {
  return `import { defineConfig } from '@rewind/cli';
import { SqliteEventStore, SqliteReadModelStore } from '@rewind/sqlite';
import { Cart, CartSummaryProjection } from '${domainImport}';

export default defineConfig({
  eventStore: () => SqliteEventStore.open('events.db'),
  readModelStore: () => SqliteReadModelStore.open('read-models.db'),
  aggregates: [Cart],
  projections: [CartSummaryProjection],
});
`;
}

function consumer(kind) {
  const esm = kind === 'esm';
  const dir = join(work, kind);
  step(`${kind === 'esm' ? 'ESM (type: module, nodenext)' : 'CommonJS (node16)'} consumer in ${dir}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const dependencies = { ...peers };
  for (const [name, tarball] of Object.entries(packed)) dependencies[name] = `file:${tarball}`;
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `rewind-consumer-${kind}`,
        private: true,
        type: esm ? 'module' : 'commonjs',
        dependencies,
        devDependencies: {
          typescript: rootManifest.devDependencies.typescript,
          '@types/node': rootManifest.devDependencies['@types/node'],
        },
        // the tarballs depend on each other by version, which no registry has yet: point those at the tarballs
        overrides: Object.fromEntries(Object.keys(packed).map((name) => [name, `$${name}`])),
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: esm ? 'nodenext' : 'node16',
          moduleResolution: esm ? 'nodenext' : 'node16',
          strict: true,
          skipLibCheck: false,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          outDir: 'dist',
          rootDir: '.',
          types: ['node'],
          ...(esm ? {} : { baseUrl: '.', paths: { '@app/*': ['src/*'] } }),
        },
        include: ['src', 'rewind.config.ts'],
      },
      null,
      2,
    ),
  );
  // the getting-started page's program, as a reader puts it in src/main.ts of an empty folder
  copyFileSync(join(ROOT, 'docs', 'src', 'firstProgram.ts'), join(dir, 'src', 'first.ts'));
  // the guide's fuller walk-through (time travel, validation, rebuilds), as the domain of this project
  copyFileSync(join(ROOT, 'docs', 'src', 'gettingStarted.ts'), join(dir, 'src', 'domain.ts'));
  writeFileSync(join(dir, 'src', 'allPackages.ts'), allPackagesSource);
  writeFileSync(join(dir, 'src', 'main.ts'), mainSource(esm ? '.js' : ''));
  // ESM: the relative import nodenext requires ('./src/domain.js' for src/domain.ts); CJS: a tsconfig path
  writeFileSync(join(dir, 'rewind.config.ts'), configSource(esm ? './src/domain.js' : '@app/domain'));

  if (run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir }) === null) return;
  if (run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: dir }) === null) return;
  mkdirSync(join(dir, 'first-run')); // its own events.db and read-models.db
  run('node', [join(dir, 'dist', 'src', 'first.js')], {
    cwd: join(dir, 'first-run'),
    expect: ['read model: { items: 3 }'],
  });
  run('node', ['dist/src/main.js'], {
    cwd: dir,
    expect: [
      'now {"items":{"energy-bar":3},"checkedOut":true}',
      'before {"items":{"energy-bar":2},"checkedOut":false}',
      'rejected ValidationError',
      'summary {"items":2,"checkedOut":true}',
      'then {"items":2,"checkedOut":false}',
      'aggregateSpec passed',
      /packages (\w+:ok ?){9}\n/,
      'log written',
    ],
  });

  const rewind = join(dir, 'node_modules', '.bin', 'rewind');
  run('npx', ['--no-install', 'rewind', '--version'], { cwd: dir, expect: [version] });
  run('npx', ['--no-install', 'rewind', '--help'], { cwd: dir, expect: ['rebuild', 'travel'] });
  run(rewind, ['rebuild', 'cart-summary', '--yes'], { cwd: dir });
  run(rewind, ['readmodel', 'cart-summary', '--collection', 'carts'], {
    cwd: dir,
    expect: ['{"items":3,"checkedOut":true}'],
  });
  run(rewind, ['travel', 'cart', '5e7e1c0a-1f2b-4c3d-8e9f-0a1b2c3d4e5f', '--revision', '0'], {
    cwd: dir,
    expect: ['energy-bar'],
  });

  if (esm) {
    // the same config as .mts, then as plain .mjs importing the compiled domain
    renameSync(join(dir, 'rewind.config.ts'), join(dir, 'rewind.config.mts'));
    run(rewind, ['readmodel', 'cart-summary', '--collection', 'carts'], {
      cwd: dir,
      expect: ['{"items":3,"checkedOut":true}'],
    });
    rmSync(join(dir, 'rewind.config.mts'));
    writeFileSync(
      join(dir, 'rewind.config.mjs'),
      configSource('./dist/src/domain.js')
        .replace("import { defineConfig } from '@rewind/cli';\n", '')
        .replace('export default defineConfig(', 'export default ('),
    );
    run(rewind, ['readmodel', 'cart-summary', '--collection', 'carts'], {
      cwd: dir,
      expect: ['{"items":3,"checkedOut":true}'],
    });
  }
}

/**
 * `rewind studio` from the installed tarball: it starts, prints its URL, serves its page's assets from
 * the package (no network) and answers its API with the token.
 */
async function studio(kind) {
  const dir = join(work, kind);
  step(`${kind}: rewind studio from the tarball`);
  const child = spawn(join(dir, 'node_modules', '.bin', 'rewind'), ['studio', '--port', '0', '--no-open'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const found = /Rewind Studio: (http:\/\/\S+)/.exec(out);
        if (found) resolve(found[1]);
      });
      child.on('exit', (code) => reject(new Error(`rewind studio exited with ${code}: ${out}`)));
    });
    console.log(`  ${url}`);
    const base = url.split('/?')[0];
    const token = new URL(url).searchParams.get('token');
    for (const asset of ['app.js', 'timeline.js', 'style.css']) {
      const response = await fetch(`${base}/assets/${asset}`);
      if (response.status !== 200)
        failures.push(`rewind studio (${kind}): /assets/${asset} answered ${response.status}`);
    }
    const page = await fetch(url, { redirect: 'manual' });
    if (page.status !== 303 || !page.headers.get('set-cookie'))
      failures.push(
        `rewind studio (${kind}): the printed URL answered ${page.status}, not 303 with a cookie`,
      );
    const streams = await fetch(`${base}/api/streams`, { headers: { authorization: `Bearer ${token}` } });
    const text = await streams.text();
    console.log(`  GET /api/streams: ${streams.status} ${text}`);
    if (streams.status !== 200 || !text.includes('cart-'))
      failures.push(`rewind studio (${kind}): /api/streams answered ${streams.status} ${text}`);
  } catch (error) {
    failures.push(`rewind studio (${kind}): ${error.message}`);
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) failures.push(`rewind studio (${kind}) exited with ${code} on SIGTERM`);
    }
  }
}

consumer('cjs');
await studio('cjs');
consumer('esm');

step('result');
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (failures.length > 0) {
  console.log(`consumer check FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
console.log('consumer check passed');
