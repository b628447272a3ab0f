#!/usr/bin/env node
// Writes a big energy-bar-shop log into a SQLite file, for Rewind Studio's bench (bench/studio.bench.js)
// and for trying the Studio on a big store:
//   npm run build && node scripts/make-big-store.mjs <dir> [--events 1000000]
//   REWIND_DATA_DIR=<dir> npx rewind studio --config examples/energy-bar-shop/rewind.config.ts
// Orders order-0000001, order-0000002, ... each placed, paid and completed (3 events, one correlation
// id), in the example's own event format, so its config reads them. <dir>/events.db is kept.
import { existsSync, mkdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sqlite from '@rewind/sqlite';

const { SqliteEventStore } = sqlite;

/** The id of the n-th order's stream, padded so that streams list in order. */
export const orderStream = (n) => `order-${String(n).padStart(7, '0')}`;

/**
 * Appends `events` events (3 per order) to `<dir>/events.db`, `concurrency` orders at a time (group
 * commits). Does nothing when the file already holds at least that many.
 * @returns the number of events in the file.
 */
export async function makeBigStore(dir, { events = 1_000_000, concurrency = 500, onProgress } = {}) {
  mkdirSync(dir, { recursive: true });
  const store = SqliteEventStore.open({ path: join(dir, 'events.db'), synchronous: 'normal' });
  try {
    const head = await store.headPosition();
    const have = head ? Number(head.commit) : 0;
    if (have >= events) return have;
    if (have > 0)
      throw new Error(`${dir}/events.db holds ${have} events, fewer than ${events}: remove it first.`);
    const orders = Math.ceil(events / 3);
    const at = Date.UTC(2026, 0, 1);
    let written = 0;
    for (let start = 1; start <= orders; start += concurrency) {
      const appends = [];
      for (let n = start; n < Math.min(orders + 1, start + concurrency); n++) {
        const orderId = String(n).padStart(7, '0');
        const correlationId = randomUUID();
        const meta = (i) => ({
          schemaVersion: 1,
          correlationId,
          causationId: correlationId,
          occurredAt: new Date(at + n * 1000 + i).toISOString(),
        });
        const quantity = 1 + (n % 3);
        const total = quantity * 2500;
        const list = [
          {
            type: 'order.placed',
            data: {
              orderId,
              customer: `customer ${n % 997}`,
              address: `${n} Gangnam-daero`,
              paymentMethod: 'card-4242',
              lines: [{ productId: 'energy-bar', productName: 'energy bar', quantity, unitPrice: 2500 }],
              total,
            },
            metadata: meta(0),
          },
          { type: 'order.paid', data: { orderId, amount: total }, metadata: meta(1) },
          { type: 'order.completed', data: { orderId }, metadata: meta(2) },
        ];
        appends.push(store.append(orderStream(n), list, { expectedRevision: 'no_stream' }));
      }
      await Promise.all(appends);
      written += appends.length * 3;
      onProgress?.(written);
    }
    return written;
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  const flag = args.indexOf('--events');
  const events = flag >= 0 ? Number(args[flag + 1]) : 1_000_000;
  if (!dir || !Number.isInteger(events) || events <= 0) {
    console.error('usage: node scripts/make-big-store.mjs <dir> [--events 1000000]');
    process.exit(2);
  }
  const target = resolve(dir);
  const existed = existsSync(join(target, 'events.db'));
  const started = Date.now();
  const count = await makeBigStore(target, {
    events,
    onProgress: (n) => n % 99_000 < 1500 && process.stderr.write(`${n} events\n`),
  });
  console.log(
    `${join(target, 'events.db')}: ${count} events${existed ? ' (already there)' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
