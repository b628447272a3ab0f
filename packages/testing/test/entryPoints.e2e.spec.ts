import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The built package, loaded by plain node as a user's program would (no jest around it).
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/** Requires `specifier` in a fresh node process and returns which of `watched` modules it loaded. */
async function loaded(specifier: string, watched: readonly string[]): Promise<string[]> {
  const script = `
    require('reflect-metadata');
    const exported = Object.keys(require(${JSON.stringify(specifier)}));
    const files = Object.keys(require.cache);
    const hits = ${JSON.stringify(watched)}.filter((m) => files.some((f) => f.includes('/node_modules/' + m + '/')));
    console.log(JSON.stringify({ exported, hits }));
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
  const { exported, hits } = JSON.parse(stdout) as { exported: string[]; hits: string[] };
  expect(exported.length).toBeGreaterThan(0);
  return hits;
}

const HEAVY = ['@jest/globals', '@grpc/grpc-js', 'google-protobuf', '@eventstore/db-client', 'expect'];

describe('@rewind/testing entry points, outside jest', () => {
  it('the root loads with neither jest nor gRPC', async () => {
    expect(await loaded('@rewind/testing', HEAVY)).toEqual([]);
  });

  it('/postgres loads with neither jest nor gRPC', async () => {
    expect(await loaded('@rewind/testing/postgres', HEAVY)).toEqual([]);
  });

  it('/eventstoredb loads gRPC but not jest', async () => {
    expect(await loaded('@rewind/testing/eventstoredb', HEAVY)).toEqual(
      expect.arrayContaining(['@grpc/grpc-js', 'google-protobuf']),
    );
    expect(await loaded('@rewind/testing/eventstoredb', ['@jest/globals'])).toEqual([]);
  });

  it('runs an aggregate spec in plain node, failing with an AssertionError of node', async () => {
    const script = `
      require('reflect-metadata');
      const assert = require('node:assert');
      const { aggregateSpec } = require('@rewind/testing');
      const { Cart, AddItem, ItemAdded } = require(${JSON.stringify(join(ROOT, 'docs', 'dist', 'gettingStarted.js'))});
      const id = '1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';
      const add = Object.assign(new AddItem(), { cartId: id, sku: 'bar', quantity: 2 });
      (async () => {
        await aggregateSpec(Cart).when(add).then(new ItemAdded(id, 'bar', 2));
        await assert.rejects(aggregateSpec(Cart).when(add).then(new ItemAdded(id, 'bar', 3)), assert.AssertionError);
        console.log('ok');
      })().catch((error) => { console.error(error); process.exit(1); });
    `;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT });
    expect(stdout.trim()).toBe('ok');
  });
});
