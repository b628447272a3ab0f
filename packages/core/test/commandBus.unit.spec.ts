import { randomUUID } from 'node:crypto';
import { IsString } from 'class-validator';
import { Container, inject, injectable } from 'inversify';
import {
  CommandBus,
  CommandHandler,
  ConcurrencyError,
  createRewind,
  InMemoryEventStore,
  Repository,
  ValidationError,
  type CommandContext,
  type EventStore,
} from '@rewind/core';
import { rewindModule } from '@rewind/core/inversify';
import { collect } from '@rewind/testing';
import { gettingStartedCart } from './fixtures/cart';
import { Order, OrderLine, OrderPaid, PayOrder, PlaceOrder } from './fixtures/order';

async function placedOrder(eventStore: EventStore = new InMemoryEventStore(), maxRetries?: number) {
  const rewind = createRewind({
    eventStore,
    aggregates: [Order],
    commandBus: maxRetries === undefined ? {} : { maxRetries },
  });
  const id = randomUUID();
  await rewind.commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
  return { ...rewind, id, stream: `testorder-${id}` };
}

describe(CommandBus.name, () => {
  describe('validation', () => {
    it('lists each invalid field and constraint, and appends nothing', async () => {
      const { commandBus, eventStore } = await placedOrder();
      const id = randomUUID();
      const error = await commandBus
        .executePlain(PlaceOrder, {
          orderId: 'not-a-uuid',
          lines: [{ productId: '', quantity: 0 }],
          total: -1,
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      const paths = (error as ValidationError).violations.map((v) => v.path).sort();
      expect(paths).toEqual(['lines.0.productId', 'lines.0.quantity', 'orderId', 'total']);
      expect((error as ValidationError).message).toMatch(/orderId: orderId must be a UUID/);
      await expect(collect(eventStore.readStream(`testorder-${id}`))).rejects.toThrow(/does not exist/);
    });

    it('rejects unknown properties and non-object input', async () => {
      const { commandBus, id } = await placedOrder();
      await expect(
        commandBus.executePlain(PayOrder, { orderId: id, amount: 5, admin: true }),
      ).rejects.toThrow(/property admin should not exist/);
      await expect(commandBus.executePlain(PayOrder, 'pay me')).rejects.toThrow(/must be a JSON object/);
      const plain = await commandBus.execute({ orderId: id }).catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(ValidationError);
      expect((plain as ValidationError).message).toMatch(/plain object, not a command instance/);
      expect((plain as ValidationError).message).toMatch(/executePlain\(PlaceOrder, input\)/);
    });

    it('refuses custom metadata under a key Rewind reserves, as input (ValidationError), writing nothing', async () => {
      const { commandBus, eventStore, stream, id } = await placedOrder();
      const error = await commandBus
        .execute(PayOrder.of(id, 5), { metadata: { occurredAt: 'yesterday' } })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations).toEqual([
        expect.objectContaining({ path: 'metadata.occurredAt' }),
      ]);
      expect((error as Error).message).toMatch(/"occurredAt" is reserved by Rewind/);
      expect(await collect(eventStore.readStream(stream))).toHaveLength(1);
    });
  });

  describe('concurrency', () => {
    it.each([
      ['null', null],
      ['a word', 'banana'],
      ['a negative bigint', -1n],
    ])(
      'refuses an expected revision that is %s once, as input: ValidationError, never retried as a conflict',
      async (_label, expected) => {
        class Touch {
          @IsString() name!: string;
        }
        let calls = 0;
        class TouchHandler {
          @CommandHandler(Touch)
          async handle(_command: Touch, context: CommandContext) {
            calls++;
            const cart = context.repository.create(gettingStartedCart.Cart, randomUUID());
            cart.add(
              Object.assign(new gettingStartedCart.AddItem(), { cartId: cart.id, sku: 'bar', quantity: 1 }),
            );
            await context.repository.save(cart, { expectedRevision: expected as never });
          }
        }
        const eventStore = new InMemoryEventStore();
        const { commandBus } = createRewind({
          eventStore,
          aggregates: [gettingStartedCart.Cart],
          commandHandlers: [TouchHandler],
        });
        const error = await commandBus
          .execute(Object.assign(new Touch(), { name: 'x' }))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect(calls).toBe(1);
        expect(await collect(eventStore.readAll())).toEqual([]);
      },
    );

    it('says a create conflict is final: the aggregate exists, nothing retries it', async () => {
      const { commandBus, id } = await placedOrder();
      const error = await commandBus
        .execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      const message = (error as Error).message;
      expect(message).not.toMatch(/does this for you/);
      expect(message).toMatch(/already exists/);
      expect(message).toMatch(/not retried/);
    });

    it('retries a command that lost a race on the new state, losing and duplicating nothing', async () => {
      const { commandBus, eventStore, stream, id, events } = await placedOrder();
      // Two commands start from the same revision: the slower one conflicts, reloads, and then sees "paid".
      const results = await Promise.allSettled([
        commandBus.execute(PayOrder.of(id, 5)),
        commandBus.execute(PayOrder.of(id, 5)),
      ]);
      const fulfilled = results.filter((r) => r.status === 'fulfilled');
      expect(fulfilled).toHaveLength(1);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason.message).toMatch(
        /already paid/,
      );
      const stored = (await collect(eventStore.readStream(stream))).map((e) => events.decode(e)!.event);
      expect(stored.filter((e) => e instanceof OrderPaid)).toHaveLength(1);
    });

    it('fails with ConcurrencyError when retries are off', async () => {
      const store = new InMemoryEventStore();
      const { commandBus, repository, id } = await placedOrder(store, 0);
      // Another writer appends between the bus's load and save.
      const original = store.append.bind(store);
      let interfered = false;
      store.append = async (...args) => {
        if (!interfered) {
          interfered = true;
          const rival = await repository.load(Order, id);
          rival.pay(PayOrder.of(id, 1));
          await repository.save(rival);
        }
        return original(...args);
      };
      const error = await commandBus.execute(PayOrder.of(id, 5)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect(error).toMatchObject({ expectedRevision: 0n, actualRevision: 1n });
    });
  });

  it('passes correlation and causation from the command to its events', async () => {
    const { commandBus, eventStore, stream, id } = await placedOrder();
    await commandBus.execute(PayOrder.of(id, 5), {
      correlationId: 'req-42',
      commandId: 'cmd-7',
      metadata: { userId: 'u1' },
    });
    const last = (await collect(eventStore.readStream(stream, { direction: 'backwards', maxCount: 1 })))[0]!;
    expect(last.metadata).toMatchObject({
      correlationId: 'req-42',
      causationId: 'cmd-7',
      userId: 'u1',
      schemaVersion: 1,
    });
  });

  it('resolves command-handler classes from the inversify container with their services', async () => {
    class Greet {
      @IsString() name!: string;
    }
    @injectable()
    class Greeter {
      greet(name: string) {
        return `hello ${name}`;
      }
    }
    @injectable()
    class GreetHandler {
      constructor(@inject(Greeter) private readonly greeter: Greeter) {}
      @CommandHandler(Greet)
      handle(command: Greet, context: CommandContext) {
        expect(context.repository).toBeInstanceOf(Repository);
        return this.greeter.greet(command.name);
      }
    }
    const container = new Container();
    container.bind(Greeter).toSelf();
    await container.load(
      rewindModule({
        eventStore: new InMemoryEventStore(),
        aggregates: [Order],
        commandHandlers: [GreetHandler],
      }),
    );
    const bus = container.get(CommandBus);
    const result = await bus.execute(Object.assign(new Greet(), { name: 'rewind' }));
    expect(result.value).toBe('hello rewind');
    expect(container.get(Repository)).toBeInstanceOf(Repository);
  });
});

describe('CommandBus with unknownEventTypes: skip', () => {
  it('appends after an event of an unknown type that ends the stream, instead of conflicting forever', async () => {
    const eventStore = new InMemoryEventStore();
    const { commandBus, repository } = createRewind({
      eventStore,
      aggregates: [Order],
      unknownEventTypes: 'skip',
    });
    const id = randomUUID();
    await commandBus.execute(PlaceOrder.of(id, [new OrderLine('bar', 1)], 5));
    const metadata = {
      schemaVersion: 1,
      correlationId: 'c',
      causationId: 'c',
      occurredAt: new Date().toISOString(),
    };
    await eventStore.append(`testorder-${id}`, [{ type: 'test.order.gift-wrapped', data: {}, metadata }]);
    const result = await commandBus.execute(PayOrder.of(id, 5));
    expect(result).toMatchObject({ attempts: 1, revision: 2n });
    expect((await repository.load(Order, id)).revision).toBe(2n);
  });
});

describe('CommandBus upsert races', () => {
  it('retries the losing creator of an upsert on the aggregate the winner created', async () => {
    const { Cart, AddItem } = gettingStartedCart;
    const eventStore = new InMemoryEventStore();
    const rewind = createRewind({ eventStore, aggregates: [Cart] });
    const cartId = randomUUID();
    const add = () => rewind.commandBus.executePlain(AddItem, { cartId, sku: 'bar', quantity: 1 });
    const results = await Promise.all([add(), add()]);
    expect(results.map((r) => r.attempts).sort()).toEqual([1, 2]);
    expect((await rewind.repository.load(Cart, cartId)).items).toEqual({ bar: 2 });
  });
});
