import { Container, type ServiceIdentifier } from 'inversify';
import {
  type CommandResult,
  type EventStore,
  type ExecuteOptions,
  type Repository,
  type Rewind,
  type RewindLogger,
  type Type,
} from '@rewind/core';
import { rewindModule, TOKENS } from '@rewind/core/inversify';
import {
  ProjectionEngine,
  rebuildProjection,
  type ReadModelStore,
  type RebuildOptions,
  type RebuildResult,
} from '@rewind/projections';
import { Delivery } from './delivery/delivery';
import { DeliveryReactor } from './delivery/deliveryReactor';
import { KitchenReactor } from './kitchen/kitchenReactor';
import { KitchenTicket } from './kitchen/kitchenTicket';
import { Menu } from './menu/menu';
import { Order } from './order/order';
import { OrderDesk, type Catalog } from './order/orderDesk';
import { OrderReactor } from './order/orderReactor';
import { FakeCardGateway, type CardGateway } from './payment/cardGateway';
import { Payment } from './payment/payment';
import { PaymentReactor } from './payment/paymentReactor';
import { ShopQueries } from './queries';
import { DeliveryBoardProjection } from './readModels/deliveryBoardProjection';
import { KitchenQueueProjection } from './readModels/kitchenQueueProjection';
import { MenuProjection, type MenuEntry } from './readModels/menuProjection';
import { OrderSummaryProjection } from './readModels/orderSummaryProjection';
import { SalesProjection } from './readModels/salesProjection';
import { settle as settleShop } from './settle';
import { openStorage, type StorageOptions } from './storage';
import { SHOP_TOKENS } from './tokens';

/** The id of the shop's one menu. */
export const MENU_ID = 'main';

/** Every aggregate of the five services. */
export const AGGREGATES = [Menu, Order, Payment, KitchenTicket, Delivery] as const;

/** Every read-model projector. */
export const PROJECTIONS = [
  MenuProjection,
  OrderSummaryProjection,
  KitchenQueueProjection,
  DeliveryBoardProjection,
  SalesProjection,
] as const;

/** Every reactor: the services' reactions to each other's events. */
export const REACTORS = [PaymentReactor, KitchenReactor, DeliveryReactor, OrderReactor] as const;

/** Options for {@link createShop}: the stores (see {@link openStorage}) and the card gateway. */
export interface ShopOptions extends StorageOptions {
  /** The card gateway the payment reactor charges (a fake one by default). */
  readonly gateway?: CardGateway;
  /** Where Rewind logs (the HTTP server passes its pino logger); silent by default. */
  readonly logger?: RewindLogger;
}

/** The wired shop: write side, read side and the reactions between services. */
export interface Shop {
  readonly rewind: Rewind;
  readonly repository: Repository;
  readonly eventStore: EventStore;
  readonly readModelStore: ReadModelStore;
  /** Runs the projections and reactors: status, pause/resume, dead letters, queries. */
  readonly projections: ProjectionEngine;
  readonly queries: ShopQueries;
  readonly gateway: CardGateway;
  /** Where events and read models live, for people. */
  readonly storage: string;
  /** Whether state survives the process (false for the in-memory stores). */
  readonly durable: boolean;
  /**
   * Executes a command, then waits until every reactor and projector has caught up, so what follows
   * reads its effects (the whole choreography of an order runs inside one call).
   */
  execute<R = unknown>(command: object, options?: ExecuteOptions): Promise<CommandResult<R>>;
  /** Like {@link execute}, from untrusted input (e.g. a request body). */
  executePlain<R = unknown>(
    commandClass: Type,
    input: unknown,
    options?: ExecuteOptions,
  ): Promise<CommandResult<R>>;
  /** Waits until every reactor and projector has applied the whole log, reactions included. */
  settle(): Promise<void>;
  /** Rebuilds a read model from the log without downtime, then waits until it is live again. */
  rebuild(projection: string, options?: RebuildOptions): Promise<RebuildResult>;
  /** Stops the projections and closes the stores (once; later calls wait for the first). */
  close(): Promise<void>;
}

/**
 * Wires the energy-bar shop: five services' aggregates on one event store, their reactors, and the
 * read models, all resolved from one inversify container.
 *
 * @example
 * const shop = await createShop({ dataDir: '.data' });
 * await shop.execute(AddProduct.of('main', 'energy-bar', 'energy bar', 2500));
 * console.table(await shop.queries.menu());
 */
export async function createShop(options: ShopOptions = {}): Promise<Shop> {
  const { eventStore, readModelStore, description: storage, durable } = await openStorage(options);
  const gateway = options.gateway ?? new FakeCardGateway();

  // The order service's catalog reads the menu read model, served by the engine built below.
  const late: { engine?: ProjectionEngine } = {};
  const queries = new ShopQueries((projection, collection) =>
    late.engine!.query(projection).collection(collection),
  );
  const catalog: Catalog = {
    product: (productId) => queries.product(productId) as Promise<MenuEntry | undefined>,
  };

  const container = new Container();
  container.bind(SHOP_TOKENS.Catalog).toConstantValue(catalog);
  container.bind(SHOP_TOKENS.CardGateway).toConstantValue(gateway);
  for (const processor of [...PROJECTIONS, ...REACTORS])
    container.bind(processor).toSelf().inSingletonScope();
  await container.load(
    rewindModule({
      eventStore,
      aggregates: [...AGGREGATES],
      commandHandlers: [OrderDesk],
      ...(options.logger ? { logger: options.logger } : {}),
    }),
  );
  const rewind = container.get(TOKENS.Rewind);
  const engine = new ProjectionEngine({
    eventStore,
    events: rewind.events,
    store: readModelStore,
    processors: [...PROJECTIONS, ...REACTORS],
    resolve: (processor) => container.get(processor as ServiceIdentifier<object>),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  late.engine = engine;
  engine.start();
  await Promise.all(engine.names().map((name) => engine.runner(name).caughtUp()));

  const settle = () => settleShop(engine, eventStore);
  const bus = rewind.commandBus;
  let closing: Promise<void> | undefined;
  return {
    rewind,
    repository: rewind.repository,
    eventStore,
    readModelStore,
    projections: engine,
    queries,
    gateway,
    storage,
    durable,
    async execute<R>(command: object, executeOptions?: ExecuteOptions) {
      const result = await bus.execute<R>(command, executeOptions);
      await settle();
      return result;
    },
    async executePlain<R>(commandClass: Type, input: unknown, executeOptions?: ExecuteOptions) {
      const result = await bus.executePlain<R>(commandClass, input, executeOptions);
      await settle();
      return result;
    },
    settle,
    async rebuild(projection: string, rebuildOptions?: RebuildOptions) {
      const result = await rebuildProjection(engine, projection, rebuildOptions);
      await settle();
      return result;
    },
    close() {
      closing ??= (async () => {
        await engine.stop();
        await readModelStore.close();
        await eventStore.close();
      })();
      return closing;
    },
  };
}
