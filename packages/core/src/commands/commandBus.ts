import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import type { AggregateRoot } from '../aggregates/aggregateRoot';
import { requireAggregateMetadata } from '../aggregates/aggregate.decorator';
import { runInContext } from '../context/executionContext';
import { ConcurrencyError, HandlerNotFoundError, ValidationError } from '../errors/errors';
import type { AppendResult } from '../eventStore/eventStore';
import { checkCustomMetadata } from '../events/eventRegistry';
import type { Type } from '../metadata/metadataKeys';
import type { AggregateClass, Repository } from '../repository/repository';
import { validateObject } from '../validation/validateObject';
import { silentLogger, type RewindLogger } from '../telemetry/logger';
import {
  inSpan,
  meterInstruments,
  tracingActive,
  type TelemetrySpan,
  type TelemetryOptions,
} from '../telemetry/otel';
import {
  AttributeNames as A,
  MESSAGING_SYSTEM,
  MetricNames,
  SpanEventNames,
  SpanNames,
} from '../telemetry/telemetryNames';
import type { CommandHandlerMode } from './commandHandler.decorator';

/** Options for one {@link CommandBus.execute}. */
export interface ExecuteOptions {
  /** Id shared by everything this request causes; defaults to the command id. */
  readonly correlationId?: string;
  /**
   * What caused this command (e.g. the id of the event a reactor handled). Commands are not stored, so
   * this becomes the causation id of the events the command raises; defaults to the command id.
   */
  readonly causationId?: string;
  /** Defaults to a new UUID; becomes the causation id of the events the command raises. */
  readonly commandId?: string;
  /** Metadata of your own stored with every event the command raises. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/**
 * What a command did. `alreadyApplied` is true when the same command (the same `commandId`) had
 * already been applied (its events were found in the aggregate's stream, e.g. after a lost answer and
 * a retry): the handler did not run again and nothing was written, so there is no `value`.
 */
export type CommandResult<R = unknown> = CommandOutcome &
  (
    | { readonly alreadyApplied?: false; /** What the handler method returned. */ readonly value: R }
    | { readonly alreadyApplied: true; readonly value: undefined }
  );

/** What every {@link CommandResult} has. */
export interface CommandOutcome {
  readonly commandId: string;
  /** The aggregate the command was for (aggregate handlers). */
  readonly aggregateId?: string;
  /** The stream's revision after the save (undefined when nothing was raised or for handler classes). */
  readonly revision?: bigint;
  readonly append?: AppendResult;
  /** How many attempts it took (1 without conflicts). */
  readonly attempts: number;
}

/** What a command-handler class receives besides the command. */
export interface CommandContext {
  readonly commandId: string;
  readonly correlationId: string;
  readonly repository: Repository;
  /** 1 on the first try, more when retried after a ConcurrencyError. */
  readonly attempt: number;
}

/** A route from a command class to its handler, built at start-up by `createRewind` (never by hand). */
export type CommandRoute =
  | {
      kind: 'aggregate';
      aggregateClass: AggregateClass;
      method: string | symbol;
      mode: CommandHandlerMode;
      idProperty: string | symbol;
    }
  | { kind: 'class'; handlerClass: Type; method: string | symbol; resolve: () => object };

/** Options for {@link CommandBus}. */
export interface CommandBusOptions {
  /** Retries after a ConcurrencyError (default 3; 0 turns retrying off). */
  readonly maxRetries?: number;
  /** Base backoff between retries in ms, doubled each time, with jitter (default 5). */
  readonly retryBackoffMs?: number;
  /** Where retried conflicts are logged (default: nowhere). */
  readonly logger?: RewindLogger;
  /** Spans (`rewind.command`, `rewind.command.handle`) and metrics (`rewind.command.*`); on by default. */
  readonly telemetry?: TelemetryOptions;
}

const commandMetrics = meterInstruments((meter) => ({
  duration: meter.createHistogram(MetricNames.commandDuration, {
    unit: 's',
    description: 'Duration of commands, from validation to the append, retries included',
  }),
  conflicts: meter.createCounter(MetricNames.commandConflicts, {
    unit: '{conflict}',
    description: 'ConcurrencyErrors met by commands (retried or not)',
  }),
}));

/**
 * Validates commands and routes them to their handlers. For aggregate handlers it loads, invokes and
 * saves, retrying a bounded number of times when another writer got there first.
 *
 * @example
 * const { value } = await bus.execute(new PlaceOrder(...));
 * await bus.executePlain(PlaceOrder, request.body); // from untrusted JSON
 */
export class CommandBus {
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly logger: RewindLogger;
  private readonly traced: boolean;

  constructor(
    private readonly repository: Repository,
    private readonly routes: ReadonlyMap<Type, CommandRoute>,
    options: CommandBusOptions = {},
  ) {
    this.maxRetries = options.maxRetries ?? 3;
    this.backoffMs = options.retryBackoffMs ?? 5;
    this.logger = options.logger ?? silentLogger;
    this.traced = options.telemetry?.enabled !== false;
  }

  /** Whether a command class has a handler. */
  handles(commandClass: Type): boolean {
    return this.routes.has(commandClass);
  }

  /**
   * Turns untrusted input (e.g. a request body) into the command class, then executes it.
   * @throws ValidationError when it is not an object or breaks the command's rules.
   */
  async executePlain<R = unknown>(
    commandClass: Type,
    input: unknown,
    options: ExecuteOptions = {},
  ): Promise<CommandResult<R>> {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new ValidationError(`command ${commandClass.name}`, [
        { path: '(root)', value: input, constraints: { isObject: 'the command must be a JSON object' } },
      ]);
    }
    const command = plainToInstance(commandClass as new () => object, input) as object;
    return this.execute<R>(command, options);
  }

  /**
   * Validates and executes a command.
   * @throws ValidationError (nothing is appended; also for a plain object instead of a command
   * instance, or custom metadata under a reserved key), HandlerNotFoundError, AggregateNotFoundError,
   * ConcurrencyError after the retries, DomainError from the aggregate.
   */
  async execute<R = unknown>(command: object, options: ExecuteOptions = {}): Promise<CommandResult<R>> {
    if (command === null || typeof command !== 'object' || command.constructor === Object) {
      throw new ValidationError('command', [
        {
          path: '(root)',
          value: command,
          constraints: {
            isCommand:
              'CommandBus.execute() got a plain object, not a command instance. Pass "new PlaceOrder(...)", ' +
              'or use bus.executePlain(PlaceOrder, input) for JSON input',
          },
        },
      ]);
    }
    if (!this.traced) return this.run<R>(command, options, undefined);
    const metrics = commandMetrics();
    if (!metrics && !tracingActive()) return this.run<R>(command, options, undefined);
    const commandType = command.constructor.name;
    const started = performance.now();
    let outcome = 'error';
    let errorType: string | undefined;
    try {
      const result = await inSpan(
        SpanNames.command,
        {
          attributes: () => ({
            [A.messagingSystem]: MESSAGING_SYSTEM,
            [A.commandType]: commandType,
            ...(options.commandId ? { [A.commandId]: options.commandId } : {}),
          }),
        },
        async (span) => {
          const done = await this.run<R>(command, options, span);
          span?.setAttributes({
            [A.commandId]: done.commandId,
            [A.commandAttempts]: done.attempts,
            [A.commandOutcome]: done.alreadyApplied ? 'already_applied' : 'ok',
            ...(done.aggregateId !== undefined ? { [A.aggregateId]: done.aggregateId } : {}),
            ...(done.revision !== undefined ? { [A.revision]: done.revision.toString() } : {}),
          });
          return done;
        },
      );
      outcome = result.alreadyApplied ? 'already_applied' : 'ok';
      return result;
    } catch (error) {
      errorType = (error as Error)?.name ?? 'Error';
      throw error;
    } finally {
      metrics?.duration.record((performance.now() - started) / 1000, {
        [A.messagingSystem]: MESSAGING_SYSTEM,
        [A.commandType]: commandType,
        [A.commandOutcome]: outcome,
        ...(errorType ? { [A.errorType]: errorType } : {}),
      });
    }
  }

  /** Validates and runs a command (not async: called from `execute`, which turns throws into rejections). */
  private run<R>(
    command: object,
    options: ExecuteOptions,
    span: TelemetrySpan | undefined,
  ): Promise<CommandResult<R>> {
    if (options.metadata) checkCustomMetadata(options.metadata);
    const commandClass = command.constructor as Type;
    const route = this.routes.get(commandClass);
    if (!route) {
      throw new HandlerNotFoundError(
        `No handler for command "${commandClass.name}". Decorate a method with @CommandHandler(${commandClass.name}) ` +
          `and register its class (aggregates or commandHandlers in createRewind).`,
      );
    }
    validateObject(command, `command ${commandClass.name}`, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    });
    span?.addEvent(SpanEventNames.commandValidated);
    const commandId = options.commandId ?? randomUUID();
    const correlationId = options.correlationId ?? commandId;
    const context = {
      commandId,
      correlationId,
      causationId: options.causationId ?? commandId,
      ...(options.metadata ? { custom: options.metadata } : {}),
    };
    return runInContext(context, () =>
      // A conflict on a `create` means the aggregate exists: final. Any other conflict is retried on fresh state.
      this.withRetries(
        commandClass.name,
        span,
        route.kind === 'class' || route.mode !== 'create',
        async (attempt) =>
          route.kind === 'aggregate'
            ? this.runAggregate<R>(route, command, commandId, attempt)
            : this.runClass<R>(route, command, {
                commandId,
                correlationId,
                repository: this.repository,
                attempt,
              }),
      ),
    );
  }

  private async runAggregate<R>(
    route: Extract<CommandRoute, { kind: 'aggregate' }>,
    command: object,
    commandId: string,
    attempt: number,
  ): Promise<CommandResult<R>> {
    const id = (command as Record<string | symbol, unknown>)[route.idProperty];
    if (typeof id !== 'string' || id.length === 0) {
      throw new ValidationError(`command ${command.constructor.name}`, [
        {
          path: String(route.idProperty),
          value: id,
          constraints: {
            aggregateId: `${String(route.idProperty)} must be a non-empty string: it names the ${requireAggregateMetadata(route.aggregateClass).type}`,
          },
        },
      ]);
    }
    let aggregate: AggregateRoot;
    if (route.mode === 'update') {
      aggregate = await this.repository.load(route.aggregateClass, id);
    } else {
      const existing = await this.repository.find(route.aggregateClass, id);
      if (existing && this.repository.wasAlreadyApplied(existing)) {
        return alreadyApplied(commandId, id, attempt, existing.revision);
      }
      if (existing && route.mode === 'create') {
        throw new ConcurrencyError(
          this.repository.streamId(route.aggregateClass, id),
          'no_stream',
          existing.revision,
          {
            hint:
              `${command.constructor.name} creates a ${requireAggregateMetadata(route.aggregateClass).type}, and one ` +
              `with id "${id}" already exists, so it is not retried. Use another id, or declare the handler ` +
              `{ mode: 'upsert' } if the command may also act on an existing one.`,
          },
        );
      }
      aggregate = existing ?? this.repository.create(route.aggregateClass, id);
    }
    if (this.repository.wasAlreadyApplied(aggregate)) {
      return alreadyApplied(commandId, id, attempt, aggregate.revision);
    }
    const method = (aggregate as unknown as Record<string | symbol, (c: object) => unknown>)[route.method]!;
    const value =
      this.traced && tracingActive()
        ? await inSpan(
            SpanNames.commandHandle,
            {
              attributes: () => ({
                [A.aggregateType]: requireAggregateMetadata(route.aggregateClass).type,
                [A.aggregateId]: id,
              }),
            },
            async () => (await method.call(aggregate, command)) as R,
          )
        : ((await method.call(aggregate, command)) as R);
    const append = await this.repository.save(aggregate);
    return {
      commandId,
      aggregateId: id,
      attempts: attempt,
      value,
      ...(append ? { append, revision: append.nextExpectedRevision } : {}),
    };
  }

  private async runClass<R>(
    route: Extract<CommandRoute, { kind: 'class' }>,
    command: object,
    context: CommandContext,
  ): Promise<CommandResult<R>> {
    const handler = route.resolve() as Record<string | symbol, (c: object, ctx: CommandContext) => unknown>;
    const call = async () => (await handler[route.method]!.call(handler, command, context)) as R;
    const value =
      this.traced && tracingActive() ? await inSpan(SpanNames.commandHandle, {}, call) : await call();
    return { commandId: context.commandId, attempts: context.attempt, value };
  }

  private async withRetries<T>(
    commandType: string,
    span: TelemetrySpan | undefined,
    retry: boolean,
    run: (attempt: number) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(attempt);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (this.traced) {
          commandMetrics()?.conflicts.add(1, {
            [A.messagingSystem]: MESSAGING_SYSTEM,
            [A.commandType]: commandType,
          });
        }
        if (!retry || attempt > this.maxRetries) {
          this.logger.warn(
            { command: commandType, stream: error.streamId, attempts: attempt, err: error },
            'command failed: append conflict',
          );
          throw error;
        }
        const delay = this.backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        this.logger.info(
          { command: commandType, stream: error.streamId, attempt, retryInMs: Math.round(delay), err: error },
          'append conflict: command retried on fresh state',
        );
        span?.addEvent(SpanEventNames.commandRetry, {
          [A.commandAttempts]: attempt,
          [A.streamId]: error.streamId,
          [A.errorType]: error.name,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** The result of a command found already applied: nothing ran, nothing was written. */
function alreadyApplied<R>(
  commandId: string,
  aggregateId: string,
  attempts: number,
  revision: bigint,
): CommandResult<R> {
  return { commandId, aggregateId, attempts, revision, alreadyApplied: true, value: undefined };
}
