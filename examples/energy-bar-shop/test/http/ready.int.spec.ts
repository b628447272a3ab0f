import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

import { buildServer, type Shop } from '@rewind/energy-bar-shop';
import { openShop } from '../shopFixture';

describe('GET /ready on the SQLite stores', () => {
  let dataDir: string;
  let shop: Shop;
  let app: FastifyInstance;

  beforeEach(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'energy-bar-shop-ready-'));
    shop = await openShop({ dataDir, eventStore: undefined });
    app = buildServer(shop);
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await shop.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is ready on open stores, and not ready (both stores named) once they are closed', async () => {
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    await shop.close();
    const response = await app.inject({ method: 'GET', url: '/ready' });
    expect(response.statusCode).toBe(503);
    const body = response.json();
    expect(body.checks).toEqual(
      expect.arrayContaining([
        { name: 'event-store', ready: false, detail: 'does not answer' },
        { name: 'read-model-store', ready: false, detail: 'does not answer' },
        { name: 'projection:menu', ready: false, detail: 'not caught up (stopped)' },
      ]),
    );
    expect(body.detail).toMatch(
      /^Not ready: event-store does not answer; read-model-store does not answer; /,
    );
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});
