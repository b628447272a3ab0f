import {
  ConfigurationError,
  parsePosition,
  serializePosition,
  type EventEnvelope,
  type EventRegistry,
  type EventStore,
  type Position,
  type Type,
} from '@rewind/core';
import type { DocumentCollection, DocumentStore } from './documents';
import {
  onHandlers,
  processorMetadata,
  type ProcessorMetadata,
  type ProjectionContext,
  type ReactorContext,
} from './decorators';

type Handler = (event: object, context: ProjectionContext | ReactorContext) => unknown;

interface Registered {
  readonly meta: ProcessorMetadata;
  readonly instance: object;
  readonly handlers: ReadonlyMap<string, Handler>;
}

interface CheckpointDocument {
  readonly position: string;
  /** The namespace a projection is served from (it moves on each rebuild). */
  readonly namespace?: string;
}

/** What a rebuild did. */
export interface RebuildReport {
  readonly projection: string;
  readonly events: number;
  readonly from: string;
  readonly to: string;
}

const SYSTEM = '$processors';

/**
 * Runs projectors and reactors over the global log from their checkpoints (kept in the document
 * store next to the read models). A stop-gap until `@rewind/projections` ships its runner: same idea,
 * minus batching, locks and dead letters.
 */
export class ProcessorHost {
  private readonly processors: Registered[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly eventStore: EventStore,
    private readonly events: EventRegistry,
    private readonly documents: DocumentStore,
    instances: readonly object[],
  ) {
    for (const instance of instances) {
      const meta = processorMetadata(instance.constructor);
      if (!meta) {
        throw new ConfigurationError(
          `${instance.constructor.name} has no @Projection or @Reactor decorator.`,
        );
      }
      const handlers = new Map<string, Handler>();
      for (const { eventClass, method } of onHandlers(instance.constructor)) {
        this.events.register(eventClass as Type);
        const type = this.events.describe(eventClass).type;
        const fn = (instance as Record<string | symbol, Handler>)[method]!;
        handlers.set(type, fn.bind(instance));
      }
      if (handlers.size === 0) {
        throw new ConfigurationError(`${meta.name} has no @On handlers.`);
      }
      this.processors.push({ meta, instance, handlers });
    }
  }

  /** Names of the projections and reactors, in the order they run. */
  get names(): string[] {
    return this.processors.map((p) => p.meta.name);
  }

  /**
   * Feeds every processor until none has anything left: reactors' commands raise events that other
   * processors then see. Calls are queued, so concurrent callers never apply an event twice.
   * @returns how many events were handled.
   */
  catchUp(): Promise<number> {
    const run = this.queue.then(async () => {
      let total = 0;
      for (let progressed = true; progressed;) {
        progressed = false;
        for (const processor of this.processors) {
          const handled = await this.drain(processor);
          if (handled > 0) progressed = true;
          total += handled;
        }
      }
      return total;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A collection of the namespace a projection is served from now. */
  async collection<T extends object>(projection: string, name: string): Promise<DocumentCollection<T>> {
    const processor = this.find(projection);
    const checkpoint = await this.checkpoint(processor);
    return this.documents.collection<T>(checkpoint?.namespace ?? this.baseNamespace(processor.meta), name);
  }

  /**
   * Rebuilds a projection from the start of the log into a fresh namespace, then serves it and drops
   * the old one. Reactors are never part of a rebuild: their side effects happened once, live.
   * @throws ConfigurationError for a reactor or an unknown name.
   */
  rebuild(projection: string): Promise<RebuildReport> {
    const run = this.queue.then(async () => {
      const processor = this.find(projection);
      if (processor.meta.kind !== 'projection') {
        throw new ConfigurationError(`${projection} is a reactor: reactors are never replayed.`);
      }
      const old = (await this.checkpoint(processor))?.namespace ?? this.baseNamespace(processor.meta);
      const fresh = `${this.baseNamespace(processor.meta)}_${Date.now().toString(36)}`;
      let position: Position | undefined;
      let events = 0;
      for await (const recorded of this.eventStore.readAll({
        filter: { eventTypes: [...processor.handlers.keys()] },
      })) {
        await this.apply(processor, this.events.decode(recorded)!, fresh, true);
        position = recorded.position;
        events++;
      }
      await this.setCheckpoint(processor, {
        position: position ? serializePosition(position) : '',
        namespace: fresh,
      });
      await this.documents.dropNamespace(old);
      return { projection, events, from: old, to: fresh };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async drain(processor: Registered): Promise<number> {
    const checkpoint = await this.checkpoint(processor);
    const namespace = checkpoint?.namespace ?? this.baseNamespace(processor.meta);
    const after = checkpoint?.position ? parsePosition(checkpoint.position) : undefined;
    let handled = 0;
    for await (const recorded of this.eventStore.readAll({
      ...(after ? { after } : {}),
      filter: { eventTypes: [...processor.handlers.keys()] },
    })) {
      await this.apply(processor, this.events.decode(recorded)!, namespace, false);
      await this.setCheckpoint(processor, { position: serializePosition(recorded.position), namespace });
      handled++;
    }
    return handled;
  }

  private async apply(
    processor: Registered,
    envelope: EventEnvelope,
    namespace: string,
    isReplay: boolean,
  ): Promise<void> {
    const handler = processor.handlers.get(envelope.type)!;
    const context: ProjectionContext = {
      envelope,
      isReplay,
      collection: <T extends object>(name: string) => this.documents.collection<T>(namespace, name),
    };
    await handler(envelope.event, context);
  }

  private find(name: string): Registered {
    const processor = this.processors.find((p) => p.meta.name === name);
    if (!processor) {
      throw new ConfigurationError(
        `No projection or reactor named "${name}". Known: ${this.names.join(', ')}.`,
      );
    }
    return processor;
  }

  private baseNamespace(meta: ProcessorMetadata): string {
    return `${meta.name}_v${meta.version}`;
  }

  private checkpoint(processor: Registered): Promise<CheckpointDocument | undefined> {
    return this.documents.collection<CheckpointDocument>(SYSTEM, 'checkpoints').get(processor.meta.name);
  }

  private setCheckpoint(processor: Registered, checkpoint: CheckpointDocument): Promise<void> {
    return this.documents
      .collection<CheckpointDocument>(SYSTEM, 'checkpoints')
      .put(processor.meta.name, checkpoint);
  }
}
