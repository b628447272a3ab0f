import { ConfigurationError, InMemoryEventStore } from '@rewind/core';
import { rewindModule } from '@rewind/core/inversify';
import {
  InMemoryReadModelStore,
  On,
  Projection,
  ProjectionEngine,
  type ProjectionContext,
} from '@rewind/projections';
import { projectionsModule, PROJECTION_TOKENS } from '@rewind/projections/inversify';
import { Container, inject, injectable } from 'inversify';
import { app, Counted, CounterProjection, Renamed } from './fixtures/counter';

const engines: ProjectionEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  jest.restoreAllMocks();
});

describe(ProjectionEngine.name, () => {
  describe('registration', () => {
    it('fails at start-up on misdeclared projections, naming the fix', () => {
      const shop = app();
      const make = (processors: (new () => object)[]) =>
        new ProjectionEngine({
          eventStore: new InMemoryEventStore(),
          events: shop.events,
          store: new InMemoryReadModelStore(),
          processors,
        });
      class Undecorated {}
      @Projection('empty')
      class Empty {}
      @Projection('counters')
      class SameName {
        @On(Counted) on() {}
      }
      class NotAnEvent {}
      @Projection('bad-event')
      class BadEvent {
        @On(NotAnEvent) on() {}
      }
      @Projection('twice')
      class Twice {
        @On(Counted) first() {}
        @On(Counted) second() {}
      }
      expect(() => make([Undecorated])).toThrow(/no @Projection or @Reactor decorator/);
      expect(() => make([Empty])).toThrow(/"empty" \(Empty\) has no @On handlers/);
      expect(() => make([CounterProjection, SameName])).toThrow(/both named "counters"/);
      expect(() => make([BadEvent])).toThrow(
        /NotAnEvent is used as an event by BadEvent.on but is not declared/,
      );
      expect(() => make([Twice])).toThrow(ConfigurationError);
      expect(() => make([Twice])).toThrow(/two @On\(Counted\) handlers/);
      const e = make([CounterProjection]);
      expect(() => e.runner('counter')).toThrow(ConfigurationError);
      expect(() => e.runner('counter')).toThrow(/Did you mean "counters"/);
    });

    it('resolves projectors from an inversify container with their injected services', async () => {
      @injectable()
      class Greeter {
        greet(name: string): string {
          return `hello ${name}`;
        }
      }
      @injectable()
      @Projection('greetings')
      class GreetingProjection {
        constructor(@inject(Greeter) private readonly greeter: Greeter) {}
        @On(Renamed)
        async renamed(event: Renamed, ctx: ProjectionContext): Promise<void> {
          await ctx.collection('greetings').put(event.key, { text: this.greeter.greet(event.name) });
        }
      }
      const eventStore = new InMemoryEventStore();
      const container = new Container();
      container.bind(Greeter).toSelf();
      const store = new InMemoryReadModelStore();
      await container.load(
        rewindModule({ eventStore, events: [Counted, Renamed] }),
        projectionsModule({ store, processors: [GreetingProjection] }),
      );
      const e = container.get(ProjectionEngine);
      engines.push(e);
      expect(container.get(PROJECTION_TOKENS.ReadModelStore)).toBe(store);
      e.start();
      await app(eventStore).append('r-1', new Renamed('a', 'energy bar+'));
      await e.waitForHead();
      expect(await e.query('greetings').collection('greetings').get('a')).toEqual({
        text: 'hello energy bar+',
      });
      expect(e.definition('greetings').instance).toBe(container.get(GreetingProjection));
    });
  });

  describe('document types', () => {
    it('accepts an interface as the document type of a collection (type-checked by npm run typecheck)', async () => {
      interface Tally {
        key: string;
        count: number;
      }
      @Projection('interface-tallies')
      class InterfaceTallies {
        @On(Counted)
        async counted(event: Counted, ctx: ProjectionContext): Promise<void> {
          const tallies = ctx.collection<Tally>('tallies');
          const current: Tally | undefined = await tallies.get(event.key);
          await tallies.put(event.key, { key: event.key, count: (current?.count ?? 0) + event.by });
        }
      }
      const shop = app();
      const e = new ProjectionEngine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors: [InterfaceTallies],
      });
      engines.push(e);
      e.start();
      await shop.append('c-a', new Counted('a', 2), new Counted('a', 3));
      await e.waitForHead();
      const found: Tally | undefined = await e
        .query('interface-tallies')
        .collection<Tally>('tallies')
        .get('a');
      expect(found).toEqual({ key: 'a', count: 5 });
    });
  });

  describe('start and stop', () => {
    it('starts its control poll once however often start() is called, and clears it on stop', async () => {
      const armed = jest.spyOn(global, 'setInterval');
      const cleared = jest.spyOn(global, 'clearInterval');
      const shop = app();
      const e = new ProjectionEngine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors: [CounterProjection],
        controlPollMs: 4321,
      });
      engines.push(e);
      e.start();
      e.start();
      const polls = armed.mock.results.filter((_, i) => armed.mock.calls[i]![1] === 4321).map((r) => r.value);
      expect(polls).toHaveLength(1);
      await e.stop();
      expect(cleared).toHaveBeenCalledWith(polls[0]);
    });
  });

  describe('events', () => {
    it('keeps running when a listener throws, and reports it as a process warning', async () => {
      const shop = app();
      const e = new ProjectionEngine({
        eventStore: shop.eventStore,
        events: shop.events,
        store: new InMemoryReadModelStore(),
        processors: [CounterProjection],
      });
      engines.push(e);
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const states: string[] = [];
      e.on('state-changed', () => {
        throw new Error('a broken listener');
      });
      const off = e.on('state-changed', ({ state }) => states.push(state));
      e.start();
      await shop.append('c-a', new Counted('a', 1));
      await e.waitForHead();
      expect(states).toContain('running');
      off();
      await e.stop();
      expect(states).not.toContain('stopped');
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/"state-changed" event threw: Error: a broken listener/),
        'RewindListenerWarning',
      );
    });
  });
});
