import { randomUUID } from 'node:crypto';
import { IsString, IsUUID } from 'class-validator';
import {
  Aggregate,
  AggregateId,
  AggregateRoot,
  aggregateState,
  CommandHandler,
  createRewind,
  DomainEvent,
  EventSourcingHandler,
  InMemoryEventStore,
  runInContext,
  ValidationError,
  type EventMetadata,
} from '@rewind/core';
import { collect } from '@rewind/testing';

@DomainEvent('test.noted', { version: 3 })
class Noted {
  constructor(readonly text: string) {}
}

class Note {
  @AggregateId() @IsUUID() noteId!: string;
  @IsString() text!: string;
}

/** Keeps the metadata its handler saw in its state: live and replayed state must agree. */
@Aggregate('testnote')
class Notebook extends AggregateRoot {
  seen: Array<Record<string, unknown>> = [];

  @CommandHandler(Note, { mode: 'upsert' })
  note(command: Note): Record<string, unknown> {
    this.raise(new Noted(command.text), { metadata: { source: 'raise' } });
    return aggregateState(this);
  }

  write(text: string): void {
    this.raise(new Noted(text));
  }

  @EventSourcingHandler(Noted)
  onNoted(_event: Noted, metadata: EventMetadata): void {
    this.seen = [
      ...this.seen,
      {
        schemaVersion: metadata.schemaVersion,
        correlationId: metadata.correlationId,
        causationId: metadata.causationId,
        occurredAt: metadata.occurredAt.toISOString(),
        custom: metadata.custom,
      },
    ];
  }
}

describe(AggregateRoot.name, () => {
  describe('raise', () => {
    it('gives the handler the metadata that is stored, so live state equals replayed state', async () => {
      const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Notebook] });
      const noteId = randomUUID();
      const { value: live } = await rewind.commandBus.execute<Record<string, unknown>>(
        Object.assign(new Note(), { noteId, text: 'hello' }),
        { correlationId: 'request-1', commandId: 'command-1', metadata: { tenant: 't-1' } },
      );
      const replayed = aggregateState(await rewind.repository.load(Notebook, noteId));
      expect(live).toEqual(replayed);
      expect(replayed.seen).toEqual([
        {
          schemaVersion: 3,
          correlationId: 'request-1',
          causationId: 'command-1',
          occurredAt: expect.any(String),
          custom: { tenant: 't-1', source: 'raise' },
        },
      ]);
    });

    it('outside a command, gives the events raised together one new correlation id, live and stored', async () => {
      const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Notebook] });
      const notebook = rewind.repository.create(Notebook, randomUUID());
      notebook.write('one');
      notebook.write('two');
      const live = aggregateState(notebook);
      await rewind.repository.save(notebook);
      const replayed = aggregateState(await rewind.repository.load(Notebook, notebook.id));
      expect(live).toEqual(replayed);
      const [first, second] = replayed.seen as Array<{ correlationId: string; causationId: string }>;
      expect(first!.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(second!.correlationId).toBe(first!.correlationId);
      expect(first!.causationId).toBe(first!.correlationId);
    });

    it('takes ids and metadata from runInContext', async () => {
      const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Notebook] });
      const notebook = rewind.repository.create(Notebook, randomUUID());
      await runInContext({ correlationId: 'c-9', causationId: 'e-9', custom: { user: 'u-1' } }, async () => {
        notebook.write('in context');
        await rewind.repository.save(notebook);
      });
      const [stored] = await collect(
        rewind.eventStore.readStream(rewind.repository.streamId(Notebook, notebook.id)),
      );
      expect(stored!.metadata).toMatchObject({ correlationId: 'c-9', causationId: 'e-9', user: 'u-1' });
      expect(aggregateState(notebook)).toEqual(
        aggregateState(await rewind.repository.load(Notebook, notebook.id)),
      );
    });

    it('refuses metadata under a reserved key when raised, before the handler runs', () => {
      const rewind = createRewind({ eventStore: new InMemoryEventStore(), aggregates: [Notebook] });
      const notebook = rewind.repository.create(Notebook, randomUUID());
      const raise = () =>
        (notebook as unknown as { raise(e: object, o: object): void }).raise(new Noted('x'), {
          metadata: { correlationId: 'mine' },
        });
      expect(raise).toThrow(ValidationError);
      expect(notebook.seen).toEqual([]);
      expect(notebook.uncommittedEvents).toEqual([]);
    });
  });
});
