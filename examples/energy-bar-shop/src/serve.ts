import path from 'node:path';
import pino from 'pino';
import { buildServer } from './http/server';
import { createShop } from './shop';
import { startTracing } from './tracing';

/**
 * Starts the shop's HTTP API: `node examples/energy-bar-shop/dist/serve.js` (PORT, default 3000; the
 * SQLite files in REWIND_DATA_DIR, default the example's .data/, as the CLI config reads them).
 * `REWIND_TRACING=console|otlp` turns OpenTelemetry tracing on (see the README).
 */
async function serve(): Promise<void> {
  const tracing = startTracing();
  // One pino logger for Fastify and Rewind: parked events, leases, rebuilds land in the same log.
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  const shop = await createShop({
    dataDir: process.env.REWIND_DATA_DIR ?? path.resolve(__dirname, '..', '.data'),
    logger: logger.child({ component: 'rewind' }),
  });
  const app = buildServer(shop, { logger });
  const close = async () => {
    await app.close();
    await shop.close();
    await tracing?.shutdown();
  };
  process.once('SIGINT', () => void close());
  process.once('SIGTERM', () => void close());
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
  app.log.info(`energy-bar shop on ${shop.storage}${tracing ? `, tracing to ${tracing.exporter}` : ''}`);
}

serve().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
