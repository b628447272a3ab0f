import { Container } from 'inversify';
import {
  rewindModule,
  TOKENS,
  type CommandResult,
  type EventStore,
  type ExecuteOptions,
  type Repository,
  type Rewind,
  type Type,
} from '@rewind/core';
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
import { openStorage, type StorageOptions } from './storage';
import { SHOP_TOKENS } from './tokens';
import { DeliveryBoardProjection } from './readModels/deliveryBoardProjection';
import { KitchenQueueProjection } from './readModels/kitchenQueueProjection';
import { MenuProjection, type MenuEntry } from './readModels/menuProjection';
import { OrderSummaryProjection } from './readModels/orderSummaryProjection';
import { SalesProjection } from './readModels/salesProjection';
import type { DocumentStore } from './runtime/documents';
import { ProcessorHost } from './runtime/processorHost';

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
}

/** The wired shop: write side, read side and the reactions between services. */
export interface Shop {
  readonly rewind: Rewind;
  readonly repository: Repository;
  readonly eventStore: EventStore;
  readonly readModelStore: DocumentStore;
  readonly processors: ProcessorHost;
  readonly queries: ShopQueries;
  readonly gateway: CardGateway;
  /** Where events and read models live, for people. */
  readonly storage: string;
  /** Whether state survives the process (false for the in-memory stores). */
  readonly durable: boolean;
  /**
   * Executes a command, then lets every reactor and projector catch up, so what follows reads its
   * effects (the whole choreography of an order runs inside one call).
   */
  execute<R = unknown>(command: object, options?: ExecuteOptions): Promise<CommandResult<R>>;
  /** Like {@link execute}, from untrusted input (e.g. a request body). */
  executePlain<R = unknown>(
    commandClass: Type,
    input: unknown,
    options?: ExecuteOptions,
  ): Promise<CommandResult<R>>;
  /** Lets every reactor and projector catch up with the log. */
  settle(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Wires the energy-bar shop: five services' aggregates on one event store, their reactors, and the
 * read models.
 *
 * @example
 * const shop = await createShop();
 * await shop.execute(AddProduct.of('main', 'energy-bar', 'energy bar', 2500));
 * console.table(await shop.queries.menu());
 */
export async function createShop(options: ShopOptions = {}): Promise<Shop> {
  const { eventStore, readModelStore, description: storage, durable } = openStorage(options);
  const gateway = options.gateway ?? new FakeCardGateway();

  // The catalog reads the menu read model, which the host (built after the bus) serves.
  const late: { host?: ProcessorHost } = {};
  const source = <T extends object>(projection: string, collection: string) =>
    late.host!.collection<T>(projection, collection);
  const queries = new ShopQueries(source);
  const catalog: Catalog = {
    product: async (productId) => {
      const entry = await (await source<MenuEntry>('menu', MenuProjection.collection)).get(productId);
      return entry;
    },
  };

  // inversify wires the services: the command bus (rewindModule), the order desk with its catalog,
  // and the reactors with the bus and the card gateway.
  const container = new Container();
  container.bind(SHOP_TOKENS.Catalog).toConstantValue(catalog);
  container.bind(SHOP_TOKENS.CardGateway).toConstantValue(gateway);
  for (const reactor of REACTORS) container.bind(reactor).toSelf().inSingletonScope();
  await container.load(
    rewindModule({ eventStore, aggregates: [...AGGREGATES], commandHandlers: [OrderDesk] }),
  );
  const rewind = container.get(TOKENS.Rewind);
  const bus = rewind.commandBus;
  const host = new ProcessorHost(eventStore, rewind.events, readModelStore, [
    ...PROJECTIONS.map((Projector) => new Projector()),
    ...REACTORS.map((reactor) => container.get<object>(reactor)),
  ]);
  late.host = host;
  await host.catchUp();

  return {
    rewind,
    repository: rewind.repository,
    eventStore,
    readModelStore,
    processors: host,
    queries,
    gateway,
    storage,
    durable,
    async execute<R>(command: object, executeOptions?: ExecuteOptions) {
      const result = await bus.execute<R>(command, executeOptions);
      await host.catchUp();
      return result;
    },
    async executePlain<R>(commandClass: Type, input: unknown, executeOptions?: ExecuteOptions) {
      const result = await bus.executePlain<R>(commandClass, input, executeOptions);
      await host.catchUp();
      return result;
    },
    settle: () => host.catchUp(),
    close: () => eventStore.close(),
  };
}
