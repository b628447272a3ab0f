import type { Position } from '@rewind/core';
import type { DeadLetter } from '../readModel/readModelStore';
import type { ProjectionState } from './projectionState';

/** What the engine tells code that observes it (logs, metrics, Rewind Studio), by event name. */
export interface ProjectionEngineEvents {
  /** A runner in this process changed state. */
  'state-changed': {
    readonly projection: string;
    readonly kind: 'projection' | 'reactor';
    readonly state: ProjectionState;
    readonly previous: ProjectionState;
    readonly lastError: string | undefined;
  };
  /** This process took the lease that makes its runner the active one (others wait as standby). */
  'lease-acquired': { readonly projection: string; readonly lock: string; readonly owner: string };
  /** This process lost the lease: another took it, or renewals failed for a whole lease. It stops writing. */
  'lease-lost': {
    readonly projection: string;
    readonly lock: string;
    readonly owner: string;
    readonly reason: 'taken' | 'renewal-failed' | 'fenced';
  };
  /** A batch committed: its events' effects and the checkpoint, in one transaction. */
  'batch-committed': {
    readonly projection: string;
    readonly namespace: string;
    /** Events in the batch (0: only the checkpoint moved, past events not handled here). */
    readonly count: number;
    readonly checkpoint: Position;
    readonly durationMs: number;
    readonly replay: boolean;
  };
  /** An event kept failing (or could not be decoded) and was parked; the runner went on. */
  'dead-letter-parked': {
    readonly projection: string;
    readonly letter: Omit<DeadLetter, 'id' | 'namespace' | 'parkedAt'>;
  };
  /**
   * A runner hit an error: one it retries after `retryInMs` (the store was unreachable, a commit
   * conflicted...), or, with `retryInMs` undefined, one it cannot get past (a ConfigurationError, e.g.
   * an unsupported server): it then fails.
   */
  'runner-error': {
    readonly projection: string;
    readonly error: unknown;
    readonly retryInMs: number | undefined;
  };
  /** A rebuild began, or resumed an interrupted one from its own checkpoint. */
  'rebuild-started': {
    readonly projection: string;
    readonly namespace: string;
    readonly resumed: boolean;
    /** Where a resumed rebuild goes on from. */
    readonly from: Position | undefined;
    readonly scratch: boolean;
  };
  /** A rebuild's namespace is now served (readers see it), replacing `replaced`. */
  'rebuild-swapped': {
    readonly projection: string;
    readonly namespace: string;
    readonly replaced: string | undefined;
    readonly checkpoint: Position | undefined;
  };
  /** A rebuild ended, successfully (`error` undefined) or not. */
  'rebuild-finished': {
    readonly projection: string;
    readonly namespace: string;
    readonly processed: number;
    readonly durationMs: number;
    readonly error: unknown;
  };
}

/** The name of an engine event. */
export type ProjectionEngineEventName = keyof ProjectionEngineEvents;

/** A listener of one engine event. */
export type ProjectionEngineListener<K extends ProjectionEngineEventName> = (
  event: ProjectionEngineEvents[K],
) => void;

/**
 * A small typed emitter. Listeners run synchronously, in order; one that throws does not stop the
 * engine or the other listeners (the error is reported as a process warning).
 */
export class EngineEmitter {
  private readonly listeners = new Map<ProjectionEngineEventName, Set<(event: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends ProjectionEngineEventName>(name: K, listener: ProjectionEngineListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => void set.delete(listener as (event: never) => void);
  }

  /** Removes a listener added with {@link on}. */
  off<K extends ProjectionEngineEventName>(name: K, listener: ProjectionEngineListener<K>): void {
    this.listeners.get(name)?.delete(listener as (event: never) => void);
  }

  /** True when anyone listens to `name` (skip building events nobody reads). */
  has(name: ProjectionEngineEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends ProjectionEngineEventName>(name: K, event: ProjectionEngineEvents[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as ProjectionEngineListener<K>)(event);
      } catch (error) {
        process.emitWarning(
          `A listener of the projection engine's "${name}" event threw: ${(error as Error)?.stack ?? String(error)}`,
          'RewindListenerWarning',
        );
      }
    }
  }
}
