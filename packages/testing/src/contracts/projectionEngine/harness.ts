import {
  ProjectionEngine,
  type ProjectionEngineOptions,
  type ReadModelStore,
  type ReadModelTransaction,
} from '@rewind/projections';
import { resetFixtures } from './fixtures';

/**
 * A read-model database the engine contract runs on, fresh for each test. `open` gives a store on it;
 * each call may be another connection (another pool, another file handle), the way another process
 * would see the same database.
 */
export interface ReadModelDatabase {
  open(): Promise<ReadModelStore> | ReadModelStore;
  /** Removes the database after the test; the stores opened on it are closed first. */
  dispose?(): Promise<void> | void;
}

/** Makes a fresh {@link ReadModelDatabase}. */
export type CreateReadModelDatabase = () => Promise<ReadModelDatabase> | ReadModelDatabase;

/** Engine options with the contract's defaults (a fast control poll). */
export type EngineOptions = Partial<ProjectionEngineOptions> &
  Pick<ProjectionEngineOptions, 'eventStore' | 'events' | 'store' | 'processors'>;

/** Per-test resources of the engine contract, cleaned up after each test. */
export class EngineHarness {
  private database: ReadModelDatabase | undefined;
  private readonly stores: ReadModelStore[] = [];
  private readonly engines: ProjectionEngine[] = [];

  constructor(private readonly create: CreateReadModelDatabase) {}

  /** A store on this test's database (another connection on each call). */
  async store(): Promise<ReadModelStore> {
    this.database ??= await this.create();
    const store = await this.database.open();
    this.stores.push(store);
    return store;
  }

  /** An engine stopped after the test; pass `track: false` to stop it yourself. */
  engine(options: EngineOptions, track = true): ProjectionEngine {
    const engine = new ProjectionEngine({ controlPollMs: 20, ...options });
    if (track) this.engines.push(engine);
    return engine;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.engines.splice(0).map((e) => e.stop()));
    await Promise.all(this.stores.splice(0).map((s) => s.close()));
    await this.database?.dispose?.();
    this.database = undefined;
    resetFixtures();
  }
}

/**
 * Waits until `condition` holds, checking every few milliseconds (for states nothing announces).
 * @throws Error naming `what` after `timeoutMs`.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A read-model store as one process sees it, killable: after `kill()`, the transaction in flight
 * rolls back (its commit never happens) and every later call hangs — no commit, no lease renewal,
 * like a process that got SIGKILL. `bury()` lets the hung calls return nothing, so that the dead
 * runner can wind down at the end of the test. `afterCommit(n)` may kill after the n-th commit in a
 * namespace starting with `prefix`.
 */
export function mortal(inner: ReadModelStore, prefix: string, afterCommit?: (commits: number) => boolean) {
  let dead = false;
  let buried = false;
  let commits = 0;
  const hung: Array<() => void> = [];
  const hang = () =>
    buried
      ? Promise.resolve(undefined)
      : new Promise<undefined>((resolve) => {
          hung.push(() => resolve(undefined));
        });
  const store = new Proxy(inner, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (property === 'transaction') {
        return async <T>(namespace: string, work: (tx: ReadModelTransaction) => Promise<T>) => {
          if (dead) return hang();
          const result = await target.transaction(namespace, async (tx) => {
            const out = await work(tx);
            if (dead) throw new Error('killed before commit');
            return out;
          });
          if (namespace.startsWith(prefix) && afterCommit?.(++commits)) dead = true;
          return result;
        };
      }
      return (...args: unknown[]) =>
        dead ? hang() : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return {
    store,
    kill: () => {
      dead = true;
    },
    get dead() {
      return dead;
    },
    bury: () => {
      buried = true;
      for (const release of hung.splice(0)) release();
    },
  };
}

/** Documents of a projection's served collection, by key. */
export async function served<D = unknown>(
  store: ReadModelStore,
  projection: string,
  collection: string,
): Promise<Record<string, D>> {
  const namespace = await store.servedNamespace(projection);
  if (!namespace) return {};
  const found = await store.collection(namespace, collection).find();
  return Object.fromEntries(found.map((e) => [e.key, e.doc as D]));
}
