import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ValidationError, type CommandResult } from '@rewind/core';
import { ConfirmDelivery } from './delivery/commands';
import { FinishTicket, StartTicket } from './kitchen/commands';
import { AddProduct, ChangePrice, RenameProduct } from './menu/commands';
import { Menu } from './menu/menu';
import { OrderLineRequest, PlaceOrder } from './order/commands';
import { Order } from './order/order';
import { FakeCardGateway } from './payment/cardGateway';
import { heading, say, subheading, table, won, type Cell } from './demo/print';
import type { OrderSummary } from './readModels/orderSummaryProjection';
import type { ItemView } from './readModels/productNames';
import { createShop, MENU_ID, type Shop } from './shop';

/** Where the demo keeps its state unless `--data-dir=<dir>` says otherwise. */
const DEFAULT_DATA_DIR = path.resolve(__dirname, '..', '.data');
const PRODUCTS = [
  { productId: 'energy-bar', name: 'energy bar', price: 2500 },
  { productId: 'protein-bar', name: 'protein bar', price: 3000 },
  { productId: 'oat-bar', name: 'oat bar', price: 2000 },
] as const;
const RENAMED = 'energy bar+';

const items = (list: readonly ItemView[]) => list.map((i) => `${i.quantity} x ${i.name}`).join(', ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(argv: readonly string[]): Promise<void> {
  const reset = argv.includes('--reset');
  const dataDirArg = argv.find((a) => a.startsWith('--data-dir='));
  const dataDir = dataDirArg ? path.resolve(dataDirArg.slice('--data-dir='.length)) : DEFAULT_DATA_DIR;
  if (reset) rmSync(dataDir, { recursive: true, force: true });
  const fresh = !existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true });
  const gateway = new FakeCardGateway();
  const shop = await createShop({ dataDir, gateway });
  try {
    await run(shop, gateway, { dataDir, reset, fresh });
  } finally {
    await shop.close();
  }
}

async function run(
  shop: Shop,
  gateway: FakeCardGateway,
  options: { dataDir: string; reset: boolean; fresh: boolean },
): Promise<void> {
  say('Rewind - a day at the energy-bar shop');
  say("menu -> order -> pay -> make -> delivery, each service reacting to the others' events");
  say('');
  say(`data directory: ${options.dataDir}${options.reset ? ' (reset)' : options.fresh ? ' (new)' : ''}`);
  say(`events and read models kept in: ${shop.storage}`);
  const previousOrders = (await shop.queries.orders()).length;
  say(
    previousOrders === 0
      ? `state: a fresh shop (${shop.durable ? 'run again to continue this day; --reset starts clean' : 'kept in memory only, so a second run starts fresh too'})`
      : `state: continuing a previous run (${previousOrders} orders found; --reset starts clean)`,
  );

  heading('1. Morning: the menu service opens');
  for (const product of PRODUCTS) {
    if (!(await shop.queries.product(product.productId))) {
      await shop.execute(AddProduct.of(MENU_ID, product.productId, product.name, product.price));
    }
  }
  table(
    (await shop.queries.menu()).map((p) => ({ product: p.productId, name: p.name, 'price (won)': p.price })),
  );

  heading('2. Orders come in (pub/sub: reactors answer each event at once)');
  const next = 1001 + previousOrders;
  const [first, second, third] = [String(next), String(next + 1), String(next + 2)];
  const orders: Array<[string, string, string, string, Array<[string, number]>]> = [
    [
      first,
      'Jisoo',
      '12 Gangnam-daero',
      'card-4242',
      [
        ['energy-bar', 2],
        ['oat-bar', 1],
      ],
    ],
    [second, 'Minho', '3 Itaewon-ro', 'card-0002', [['energy-bar', 1]]],
    [
      third,
      'Hyun',
      '77 Hongik-ro',
      'card-1881',
      [
        ['protein-bar', 3],
        ['energy-bar', 1],
      ],
    ],
  ];
  for (const [orderId, customer, address, card, lines] of orders) {
    await shop.execute(
      PlaceOrder.of(
        orderId,
        customer,
        address,
        card,
        lines.map(([p, q]) => OrderLineRequest.of(p, q)),
      ),
    );
  }
  const afterPlacing = new Date();
  await sleep(5);
  subheading('order summaries (read model)');
  await printOrders(shop, [first, second, third]);
  subheading(
    `what order ${first} set off across the services (one correlation id, no service calls another)`,
  );
  await printStory(shop, first);
  subheading(`order ${second}: card-0002 is declined, and the failure is compensated by events`);
  await printStory(shop, second);
  say(
    '',
    'Cancelled, ticket voided, delivery cancelled, nothing made: no distributed transaction to roll back.',
  );

  heading('3. A rejected command: validation before anything is written');
  const head = await shop.eventStore.headPosition();
  try {
    await shop.executePlain(PlaceOrder, {
      orderId: 'order #1',
      customer: '',
      address: 'Seoul',
      paymentMethod: 'cash',
      lines: [{ productId: 'energy-bar', quantity: 0 }],
    });
    say('  (unexpectedly accepted)');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    say(`${error.name}: ${error.target} rejected with ${error.violations.length} field errors`);
    table(
      error.violations.map((v) => ({
        field: v.path,
        value: JSON.stringify(v.value),
        problem: Object.values(v.constraints).join('; '),
      })),
    );
  }
  const unchanged = String(head?.commit) === String((await shop.eventStore.headPosition())?.commit);
  say(`events appended: ${unchanged ? 0 : 'some (unexpected)'}`);

  heading('4. The kitchen makes, the couriers go');
  await shop.execute(StartTicket.of(first, 'Hana'));
  await shop.execute(FinishTicket.of(first));
  await shop.execute(StartTicket.of(third, 'Dae'));
  subheading('kitchen queue (read model)');
  await printKitchen(shop, [first, second, third]);
  subheading('delivery board (read model)');
  await printDeliveries(shop, [first, second, third]);

  heading('5. Two clerks update the menu at the same moment');
  const menuBefore = await shop.repository.load(Menu, MENU_ID);
  const energy = menuBefore.products['energy-bar']!;
  const oat = menuBefore.products['oat-bar']!;
  say(
    `both load menu "${MENU_ID}" at revision ${menuBefore.revision}; both save; one save meets a ConcurrencyError,`,
  );
  say('the command bus reloads and retries it:');
  const [kim, lee] = await Promise.all([
    shop.execute(ChangePrice.of(MENU_ID, 'energy-bar', energy.price + 100)),
    shop.execute(ChangePrice.of(MENU_ID, 'oat-bar', oat.price + 100)),
  ]);
  const attempts = (clerk: string, change: string, result: CommandResult) => ({
    clerk,
    change,
    attempts: result.attempts,
    'saved at revision': Number(result.revision),
  });
  table([
    attempts('Kim', `energy-bar ${won(energy.price)} -> ${won(energy.price + 100)}`, kim),
    attempts('Lee', `oat-bar ${won(oat.price)} -> ${won(oat.price + 100)}`, lee),
  ]);

  heading(`6. The menu renames "energy bar" to "${RENAMED}"`);
  say(
    "The notes' denormalization problem: order, kitchen and delivery each copied the name into their data.",
  );
  say('Here the menu appends one ProductRenamed event; every read model that shows the name follows it.');
  const current = (await shop.queries.product('energy-bar'))!.name;
  if (current === RENAMED) {
    say('', `It is already "${RENAMED}" (renamed in an earlier run): the read models below still show it.`);
  } else {
    subheading('before');
    await printNames(shop, [first, second, third]);
    const eventsBefore = await countEvents(shop);
    await shop.execute(RenameProduct.of(MENU_ID, 'energy-bar', RENAMED));
    say(
      '',
      `appended: ${(await countEvents(shop)) - eventsBefore} event (menu.product-renamed); calls between services: 0`,
    );
  }
  subheading('after');
  await printNames(shop, [first, second, third]);

  heading('7. Delivered');
  await shop.execute(ConfirmDelivery.of(first));
  await printOrders(shop, [first, second, third]);
  subheading('sales per product per day (read model; paid orders only)');
  table(
    (await shop.queries.sales()).map((s) => ({
      day: s.day,
      product: s.name,
      sold: s.quantity,
      'revenue (won)': s.revenue,
    })),
  );

  heading('8. Rebuild a read model from the log (event streaming: read from any position)');
  const before = JSON.stringify(await shop.queries.orders());
  const chargesBefore = gateway.charges;
  const report = await shop.rebuild('order-summaries');
  const after = JSON.stringify(await shop.queries.orders());
  table([
    {
      projection: report.projection,
      'events replayed': report.processed,
      'old namespace': report.replaced,
      'new namespace': report.namespace,
      'same result': before === after ? 'yes' : 'NO',
    },
  ]);
  say(`card charges before: ${chargesBefore}, after: ${gateway.charges} (reactors never run on a replay)`);
  subheading(
    `the order summaries as they were at ${afterPlacing.toISOString()} (rebuilt into a scratch namespace)`,
  );
  const asOf = await shop.rebuild('order-summaries', { until: afterPlacing });
  const then = await shop.readModelStore.collection<OrderSummary>(asOf.namespace, 'orders').find();
  const now = await shop.queries.orders();
  table(
    then
      .map(({ doc }) => doc)
      .filter((o) => [first, second, third].includes(o.orderId))
      .map((o) => ({
        order: o.orderId,
        'status then': o.status,
        'status now': now.find((n) => n.orderId === o.orderId)?.status,
      })),
  );
  await shop.readModelStore.dropNamespace(asOf.namespace);

  heading(`9. Time travel: order ${first} at an earlier moment`);
  const state = (moment: string, order: Order) => ({
    'repository.load(Order, id, ...)': moment,
    revision: Number(order.revision),
    status: order.status,
    'total (won)': order.total,
  });
  table([
    state('{ revision: 0 }', await shop.repository.load(Order, first, { revision: 0 })),
    state(
      `{ at: ${afterPlacing.toISOString()} }`,
      await shop.repository.load(Order, first, { at: afterPlacing }),
    ),
    state('(now)', await shop.repository.load(Order, first)),
  ]);

  heading(`10. Order ${first}: its history with diffs`);
  const rows: Record<string, Cell>[] = [];
  for await (const entry of shop.repository.history(Order, first)) {
    entry.changes.forEach((change, i) => {
      const field = change.path.join('.');
      rows.push({
        rev: i === 0 ? Number(entry.revision) : undefined,
        event: i === 0 ? entry.envelope.type : undefined,
        recorded: i === 0 ? entry.envelope.recordedAt.toISOString().slice(11, 23) : undefined,
        field,
        before: change.type === 'CREATE' ? '' : short(change.oldValue),
        after: change.type === 'REMOVE' ? '(removed)' : short(change.value),
      });
    });
  }
  table(rows);
  say('', 'done. Run it again to continue the day, or with --reset to start clean.');
}

function short(value: unknown): string {
  if (value && typeof value === 'object' && 'productName' in value && 'quantity' in value) {
    const line = value as { productName: string; quantity: number; unitPrice: number };
    return `${line.quantity} x ${line.productName} @ ${won(line.unitPrice)}`;
  }
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 48 ? `${text.slice(0, 45)}...` : text;
}

async function countEvents(shop: Shop): Promise<number> {
  let count = 0;
  for await (const _ of shop.eventStore.readAll()) count++;
  return count;
}

async function printOrders(shop: Shop, ids: readonly string[]): Promise<void> {
  table(
    (await shop.queries.orders())
      .filter((o) => ids.includes(o.orderId))
      .map((o) => ({
        order: o.orderId,
        customer: o.customer,
        items: items(o.items),
        'total (won)': o.total,
        status: o.status,
        courier: o.courier,
      })),
  );
}

async function printKitchen(shop: Shop, ids: readonly string[]): Promise<void> {
  table(
    (await shop.queries.kitchenQueue({ all: true }))
      .filter((t) => ids.includes(t.ticketId))
      .map((t) => ({ ticket: t.ticketId, items: items(t.items), status: t.status, cook: t.cook })),
  );
}

async function printDeliveries(shop: Shop, ids: readonly string[]): Promise<void> {
  table(
    (await shop.queries.deliveryBoard({ all: true }))
      .filter((d) => ids.includes(d.deliveryId))
      .map((d) => ({
        delivery: d.deliveryId,
        to: `${d.customer}, ${d.address}`,
        items: items(d.items),
        status: d.status,
        courier: d.courier,
      })),
  );
}

async function printNames(shop: Shop, ids: readonly string[]): Promise<void> {
  const name = (list: readonly ItemView[]) => list.find((i) => i.productId === 'energy-bar')?.name;
  const orders = (await shop.queries.orders()).filter((o) => ids.includes(o.orderId));
  const tickets = await shop.queries.kitchenQueue({ all: true });
  const deliveries = await shop.queries.deliveryBoard({ all: true });
  const rows: Record<string, Cell>[] = [
    { 'read model': 'menu', document: 'energy-bar', shows: (await shop.queries.product('energy-bar'))?.name },
  ];
  for (const o of orders)
    rows.push({ 'read model': 'order summaries', document: o.orderId, shows: name(o.items) });
  for (const t of tickets.filter((t) => ids.includes(t.ticketId))) {
    rows.push({ 'read model': 'kitchen queue', document: t.ticketId, shows: name(t.items) });
  }
  for (const d of deliveries.filter((d) => ids.includes(d.deliveryId))) {
    rows.push({ 'read model': 'delivery board', document: d.deliveryId, shows: name(d.items) });
  }
  for (const s of (await shop.queries.sales()).filter((s) => s.productId === 'energy-bar')) {
    rows.push({ 'read model': 'sales per day', document: s.day, shows: s.name });
  }
  table(rows);
}

async function printStory(shop: Shop, orderId: string): Promise<void> {
  let correlationId: string | undefined;
  const rows: Record<string, Cell>[] = [];
  const ids = new Map<string, string>();
  for await (const recorded of shop.eventStore.readAll()) {
    if (recorded.streamId === `order-${orderId}` && recorded.revision === 0n) {
      correlationId = recorded.metadata.correlationId;
    }
    if (!correlationId || recorded.metadata.correlationId !== correlationId) continue;
    ids.set(recorded.id, recorded.type);
    rows.push({
      stream: recorded.streamId,
      event: recorded.type,
      'caused by': ids.get(recorded.metadata.causationId) ?? 'the PlaceOrder command',
    });
  }
  table(rows);
}

// `npm run demo | head` closes the pipe early: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
