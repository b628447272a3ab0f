import type { EventStore } from '@rewind/core';
import type { ProjectionEngine, ProjectionState, ReadModelStore } from '@rewind/projections';
import type { ReadinessCheck } from './problems';

/** What {@link checkReadiness} looks at: the shop's two stores and its projection engine. */
export interface ReadinessSources {
  readonly eventStore: EventStore;
  readonly readModelStore: ReadModelStore;
  readonly projections: ProjectionEngine;
}

/** The outcome of {@link checkReadiness}: every check, and the failing ones with what the server logs. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
  /** The errors behind failed store checks: for the server log, never for the client. */
  readonly errors: ReadonlyArray<{ readonly check: string; readonly error: unknown }>;
}

/**
 * Runner states that count as caught up: `running` follows the log live after catching up to its head;
 * `standby` means another process holds the projection's lease and runs it, so this process's lag is
 * not the question (readiness of a second replica does not wait for a lease it will never get).
 */
const CAUGHT_UP: ReadonlySet<ProjectionState> = new Set(['running', 'standby']);

/**
 * Readiness for `GET /ready`: the event store answers (its head position), the read-model store
 * answers (a served-namespace lookup), each within `timeoutMs`, and every projection and reactor of
 * the engine has caught up with the log and follows it live. A runner still catching up, paused,
 * failed or stopped makes the process not ready, by name.
 *
 * @example
 * const { ready, checks } = await checkReadiness(shop);
 */
export async function checkReadiness(sources: ReadinessSources, timeoutMs = 2_000): Promise<Readiness> {
  const errors: Array<{ check: string; error: unknown }> = [];
  const reachable = async (check: string, probe: () => Promise<unknown>): Promise<ReadinessCheck> => {
    try {
      await withTimeout(probe(), timeoutMs);
      return { name: check, ready: true };
    } catch (error) {
      errors.push({ check, error });
      return { name: check, ready: false, detail: 'does not answer' };
    }
  };
  const names = sources.projections.names();
  const stores = await Promise.all([
    reachable('event-store', () => sources.eventStore.headPosition()),
    reachable('read-model-store', () => sources.readModelStore.servedNamespace(names[0] ?? 'menu')),
  ]);
  const projections = names.map((name): ReadinessCheck => {
    const { state } = sources.projections.runner(name).status();
    return CAUGHT_UP.has(state)
      ? { name: `projection:${name}`, ready: true }
      : { name: `projection:${name}`, ready: false, detail: `not caught up (${state})` };
  });
  const checks = [...stores, ...projections];
  return { ready: checks.every((c) => c.ready), checks, errors };
}

/** Settles as `promise` does, or rejects once `ms` passed; the timer never outlives it. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
