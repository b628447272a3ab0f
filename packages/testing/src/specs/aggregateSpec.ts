import {
  createRewind,
  getAggregateIdProperty,
  InMemoryEventStore,
  type AggregateClass,
  type Rewind,
  type RewindOptions,
  type Type,
} from '@rewind/core';
import { assertEqualData, fail } from '../support/assertions';

/** Options for {@link aggregateSpec}: anything `createRewind` takes besides the store. */
export type AggregateSpecOptions = Omit<RewindOptions, 'eventStore' | 'aggregates'> & {
  /** Other aggregates the commands may need. */
  readonly aggregates?: readonly AggregateClass[];
};

/** The `when` step of a spec. */
export interface WhenStep {
  /** Executes the command through a real CommandBus on an in-memory store. */
  when(command: object): ThenStep;
}

/** The `then` step of a spec: each returns a promise to await (or return) from the test. */
export interface ThenStep {
  /** The command raised exactly these events, in order (same classes, equal fields). */
  then(...expected: object[]): Promise<void>;
  /** The command was rejected with this error class (and message part), and nothing was appended. */
  thenThrows(errorClass: Type<Error>, message?: string | RegExp): Promise<void>;
  /** The command succeeded and raised nothing. */
  thenNothing(): Promise<void>;
}

/**
 * Given / when / then for one aggregate: past events, one command, and the events it must raise or the
 * error it must throw. Runs the real command bus (validation included) on an in-memory store.
 *
 * @example
 * const order = aggregateSpec(Order);
 * it('rejects a second payment', () =>
 *   order.given(new OrderPlaced(id, lines, 10), new OrderPaid(id, 10n)).when(PayOrder.of(id, 10)).thenThrows(OrderAlreadyPaid));
 */
export function aggregateSpec(aggregateClass: AggregateClass, options: AggregateSpecOptions = {}) {
  const stage = (history: readonly object[]): WhenStep => ({
    when(command: object): ThenStep {
      const run = async () => {
        const eventStore = new InMemoryEventStore();
        const rewind: Rewind = createRewind({
          ...options,
          eventStore,
          aggregates: [aggregateClass, ...(options.aggregates ?? []).filter((a) => a !== aggregateClass)],
        });
        const id = aggregateIdOf(command);
        const streamId = rewind.repository.streamId(aggregateClass, id);
        if (history.length > 0) {
          await eventStore.append(
            streamId,
            history.map((event) =>
              rewind.events.serialize(event, { correlationId: 'given', causationId: 'given' }),
            ),
          );
        }
        const before = history.length;
        let error: unknown;
        try {
          await rewind.commandBus.execute(command);
        } catch (e) {
          error = e;
        }
        const raised: object[] = [];
        let index = 0;
        try {
          for await (const recorded of eventStore.readStream(streamId)) {
            if (index++ >= before) raised.push(rewind.events.decode(recorded)!.event);
          }
        } catch {
          // no stream: nothing raised
        }
        return { error, raised };
      };
      return {
        async then(...expected: object[]) {
          const { error, raised } = await run();
          if (error) throw error;
          // Event classes must be the same classes (not just the same names); nested values are data
          // (stored events keep no prototypes).
          const names = (events: readonly object[]) => events.map((e) => e.constructor.name);
          assertEqualData(
            names(raised),
            names(expected),
            'The command raised other events than the spec expects',
          );
          const mismatches = classMismatches(raised, expected);
          if (mismatches.length > 0) fail(mismatches.join('\n'));
          assertEqualData(
            raised,
            expected,
            'The command raised events with other fields than the spec expects',
          );
        },
        async thenThrows(errorClass: Type<Error>, message?: string | RegExp) {
          const { error, raised } = await run();
          if (!(error instanceof errorClass)) {
            fail(
              error === undefined
                ? `Expected the command to throw ${errorClass.name}, but it succeeded and raised ${describeEvents(raised)}`
                : `Expected the command to throw ${errorClass.name}, but it threw ${describeError(error)}`,
            );
          }
          if (message !== undefined && !matches(error.message, message)) {
            fail(
              `The command threw ${errorClass.name} as expected, but its message does not match ${String(message)}`,
              error.message,
              message,
            );
          }
          if (raised.length > 0) fail(`The command threw, yet raised ${describeEvents(raised)}`);
        },
        async thenNothing() {
          const { error, raised } = await run();
          if (error) throw error;
          if (raised.length > 0)
            fail(`Expected the command to raise nothing, but it raised ${describeEvents(raised)}`);
        },
      };
    },
  });
  return {
    /** Events already in the aggregate's stream before the command. */
    given: (...events: object[]): WhenStep => stage(events),
    /** A command on an aggregate with no history. */
    when: (command: object): ThenStep => stage([]).when(command),
  };
}

function aggregateIdOf(command: object): string {
  const idProperty = getAggregateIdProperty(command.constructor as Type);
  if (idProperty === undefined) {
    throw new Error(
      `${command.constructor.name} has no @AggregateId() property, so the spec cannot tell which stream "given" fills. ` +
        `Mark the id property with @AggregateId().`,
    );
  }
  return String((command as Record<string | symbol, unknown>)[idProperty]);
}

/** Events at the same index whose classes differ although their names agree (two classes, one name). */
function classMismatches(raised: readonly object[], expected: readonly object[]): string[] {
  return expected.flatMap((event, index) => {
    const actual = raised[index];
    if (!actual || actual.constructor === event.constructor) return [];
    const name = event.constructor.name;
    return [
      `event ${index}: the command raised ${name}, the spec expects another class named ${name} ` +
        '(import the event class the aggregate raises)',
    ];
  });
}

function matches(actual: string, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? actual.includes(expected) : expected.test(actual);
}

function describeEvents(events: readonly object[]): string {
  return events.length === 0 ? 'nothing' : events.map((e) => e.constructor.name).join(', ');
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
}
