import path from 'node:path';
import { buildServer } from './http/server';
import { createShop } from './shop';

/**
 * Starts the shop's HTTP API: `node examples/energy-bar-shop/dist/serve.js` (PORT, default 3000; the
 * SQLite files in REWIND_DATA_DIR, default the example's .data/, as the CLI config reads them).
 */
async function serve(): Promise<void> {
  const shop = await createShop({
    dataDir: process.env.REWIND_DATA_DIR ?? path.resolve(__dirname, '..', '.data'),
  });
  const app = buildServer(shop, { logger: true });
  const close = async () => {
    await app.close();
    await shop.close();
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
  app.log.info(`energy-bar shop on ${shop.storage}`);
}

serve().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
