import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is causing what, carried through async calls so saved events get correlation and causation. */
export interface ExecutionContext {
  readonly correlationId: string;
  /** The id of the command or event being handled. */
  readonly causationId: string;
  /**
   * The command being handled. Events saved in this context get ids derived from it
   * (`deriveEventId`), so a retried save or a re-run of the same command is recognised and written
   * only once. Set by the CommandBus; give one yourself to make your own saves idempotent.
   */
  readonly commandId?: string;
  /** Metadata of your own added to every event saved in this context. */
  readonly custom?: Readonly<Record<string, unknown>>;
}

const storage = new AsyncLocalStorage<ExecutionContext>();

/** Runs `fn` with an execution context; events saved inside it carry its ids. */
export function runInContext<T>(context: ExecutionContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The execution context of the current async call chain, if any. */
export function currentContext(): ExecutionContext | undefined {
  return storage.getStore();
}
