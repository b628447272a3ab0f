import { IsString } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  CommandHandler,
  ConfigurationError,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
  HandlerNotFoundError,
  InMemoryEventStore,
  type AggregateClass,
} from '@rewind/core';
import { Order } from './fixtures/order';

@DomainEvent('cfg.happened')
class Happened {}
class DoIt {
  @AggregateId() @IsString() id!: string;
}

const wire = (aggregates: AggregateClass[], commandHandlers: (new () => object)[] = []) =>
  createRewind({ eventStore: new InMemoryEventStore(), aggregates, commandHandlers });

describe('createRewind (start-up checks)', () => {
  it('names a missing @Aggregate', () => {
    class Plain extends AggregateRoot {
      @EventSourcingHandler(Happened) on() {}
    }
    expect(() => wire([Plain])).toThrow(
      /Plain is used as an aggregate but has no @Aggregate.*@Aggregate\('<category>'\)/,
    );
  });

  it('names two handlers for one event', () => {
    @Aggregate('twice')
    class Twice extends AggregateRoot {
      @EventSourcingHandler(Happened) one() {}
      @EventSourcingHandler(Happened) two() {}
    }
    expect(() => wire([Twice])).toThrow(/two @EventSourcingHandler\(Happened\) methods: one and two/);
  });

  it('names a command handled twice', () => {
    @Aggregate('first')
    class First extends AggregateRoot {
      @CommandHandler(DoIt) handle() {}
      @EventSourcingHandler(Happened) on() {}
    }
    class Handlers {
      @CommandHandler(DoIt) handle() {}
    }
    expect(() => wire([First], [Handlers])).toThrow(
      /Command DoIt is handled twice: by First.handle and by Handlers.handle/,
    );
  });

  it('names a command without @AggregateId and one without validation rules', () => {
    class NoId {
      @IsString() x!: string;
    }
    class NoRules {
      @AggregateId() id!: string;
    }
    @Aggregate('strict')
    class Strict extends AggregateRoot {
      @CommandHandler(NoId) handle() {}
      @EventSourcingHandler(Happened) on() {}
    }
    @Aggregate('loose')
    class Loose extends AggregateRoot {
      @CommandHandler(NoRules) handle() {}
      @EventSourcingHandler(Happened) on() {}
    }
    expect(() => wire([Strict])).toThrow(/NoId is handled by Strict.handle but has no @AggregateId/);
    expect(() => wire([Loose])).toThrow(/NoRules has no class-validator rules/);
  });

  it('refuses an event class without @DomainEvent and a category with a dash', () => {
    class NotAnEvent {}
    @Aggregate('bad')
    class Bad extends AggregateRoot {
      @EventSourcingHandler(NotAnEvent) on() {}
    }
    expect(() => wire([Bad])).toThrow(/NotAnEvent is used as an event by Bad.on but is not declared/);
    expect(() => Aggregate('has-dash')(class X {})).toThrow(ConfigurationError);
  });

  it('fails at raise time, before anything is saved, when the aggregate cannot apply the event', async () => {
    const rewind = wire([Order]);
    const order = rewind.repository.create(Order, 'o-1');
    expect(() => order.raiseUnhandled()).toThrow(HandlerNotFoundError);
    expect(() => order.raiseUnhandled()).toThrow(/Order has no @EventSourcingHandler\(Unhandled\)/);
    expect(order.uncommittedEvents).toHaveLength(0);
  });
});
