import {
  getInheritedRecord,
  getOwnRecord,
  METADATA,
  pushRecord,
  setRecord,
  type Type,
} from '../metadata/metadataKeys';

/**
 * How an aggregate command handler treats the target stream:
 * - `create`: the aggregate must not exist yet (appends with `no_stream`);
 * - `update` (default): it must exist (`AggregateNotFoundError` otherwise);
 * - `upsert`: either.
 */
export type CommandHandlerMode = 'create' | 'update' | 'upsert';

/** Options for {@link CommandHandler}. */
export interface CommandHandlerOptions {
  /** Only for handlers on aggregates. Defaults to `'update'`. */
  readonly mode?: CommandHandlerMode;
}

/** One `@CommandHandler` as recorded. */
export interface CommandHandlerRecord {
  readonly commandClass: Type;
  readonly method: string | symbol;
  readonly mode: CommandHandlerMode;
}

/**
 * Marks the method that handles a command. On an aggregate, the bus loads the aggregate named by the
 * command's `@AggregateId()` property, calls the method, and saves what it raised. On a handler class
 * (resolved from the container), the method receives the command and a `CommandContext`.
 *
 * @example
 * @CommandHandler(PlaceOrder, { mode: 'create' })
 * place(command: PlaceOrder) { this.raise(new OrderPlaced(command.orderId, command.lines)); }
 */
export function CommandHandler(commandClass: Type, options: CommandHandlerOptions = {}): MethodDecorator {
  return (target, method) => {
    pushRecord<CommandHandlerRecord>(METADATA.commandHandlers, target.constructor, {
      commandClass,
      method,
      mode: options.mode ?? 'update',
    });
  };
}

/** Every `@CommandHandler` on a class, its ancestors' included. */
export function getCommandHandlers(target: Type): readonly CommandHandlerRecord[] {
  return getInheritedRecord<CommandHandlerRecord[]>(METADATA.commandHandlers, target) ?? [];
}

/**
 * Marks the command property that holds the id of the aggregate the command is for.
 *
 * @example
 * class PayOrder { @AggregateId() @IsUUID() orderId!: string; @IsPositive() amount!: number; }
 */
export function AggregateId(): PropertyDecorator {
  return (target, property) => {
    setRecord(METADATA.aggregateId, target.constructor, property);
  };
}

/** The property marked with `@AggregateId()`, if any. */
export function getAggregateIdProperty(commandClass: Type): string | symbol | undefined {
  return (
    getOwnRecord<string | symbol>(METADATA.aggregateId, commandClass) ??
    getInheritedRecord<string | symbol>(METADATA.aggregateId, commandClass)
  );
}
