import { randomUUID } from 'node:crypto';
import {
  AttributeNames as A,
  comparePositions,
  inSpan,
  isAfter,
  MESSAGING_SYSTEM,
  SpanNames,
  ProjectionError,
  serializePosition,
  type Position,
  type RecordedEvent,
} from '@rewind/core';
import type { ReadModelTransaction } from '../readModel/readModelStore';
import { applyEvents, HandlerFailure } from '../runner/applyEvents';
import { catchUpToHead, type Selection } from '../runner/catchUp';
import {
  DEFAULT_CATCH_UP_COMMIT_MS,
  openTransactionWindow,
  type CatchUpWindow,
} from '../runner/commitWindow';
import { Lease } from '../runner/lease';
import { rebuildLockName } from '../runner/namespaces';
import { batchSpan } from '../runner/projectionTelemetry';
import type { ProjectionEngine } from '../runner/projectionEngine';
import { finishRebuild, planRebuild, type RebuildPlan } from './rebuildPlan';
import { swapWhenFresh } from './swapWhenFresh';
import { RebuildProgressReporter, type RebuildProgress } from './rebuildProgress';

export type { RebuildProgress } from './rebuildProgress';

/** Options for {@link rebuildProjection}. */
export interface RebuildOptions {
  /**
   * Build the read model as it was at this position or moment, into a scratch namespace that is not
   * served (query it, diff it, drop it). Without it, the rebuild replaces the served read model.
   */
  readonly until?: Position | Date;
  /**
   * With a Date `until`: `'recorded'` (default, store time: every event recorded up to then) or
   * `'occurred'` (business time: every event whose occurred-at is at or before then, in log order,
   * including ones recorded later).
   */
  readonly timeBasis?: 'recorded' | 'occurred';
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events per batch (default 1000): a handler batch, and the most events a transaction takes with `catchUpCommitMs: 0`. */
  readonly batchSize?: number;
  /**
   * Batches are applied into one transaction for this long before it commits (default 250 ms; up to 4
   * times as long while nothing else waits for a store that runs one transaction at a time, see
   * `ProjectionEngineOptions.catchUpCommitMs`): a document that many events change is written once per
   * commit instead of once per batch. 0 commits every batch. A handler that throws rolls its window
   * back; the rebuild then replays that window batch by batch and stops at the event, as it always has.
   */
  readonly catchUpCommitMs?: number;
  /** Keep the replaced namespace instead of dropping it. */
  readonly keepOld?: boolean;
  /**
   * Start over: an interrupted rebuild of the same target is resumed from its own checkpoint by
   * default (its events keep what the code of that run projected); `fresh` drops it and builds anew —
   * run it after fixing a handler.
   */
  readonly fresh?: boolean;
  /**
   * With `until`: build into a namespace of its own, for one look, never resumed and never touching a
   * scratch namespace another rebuild left; the caller drops it (`readmodel --as-of` does).
   */
  readonly temporary?: boolean;
  /**
   * How long to wait for another rebuild's lock (default: one lease and a half second). A rebuild that is alive
   * renews its lease and is still refused after the wait; a killed one's lease lapses and this
   * rebuild takes over, resuming from its checkpoint.
   */
  readonly lockWaitMs?: number;
  /**
   * Lease of the rebuild lock (default 5 s), renewed while the rebuild runs: a killed rebuild's lock
   * is free this long after its last renewal. Every batch and the swap check it inside their
   * transaction, so a rebuild that stalled past it writes nothing more.
   */
  readonly lockTtlMs?: number;
}

/** What a rebuild did. */
export interface RebuildResult {
  readonly projection: string;
  /** The namespace built: now served (full rebuild) or a scratch one (`until`). */
  readonly namespace: string;
  readonly scratch: boolean;
  readonly processed: number;
  readonly position: Position | undefined;
  /** The namespace that was served before and was dropped (or kept, with `keepOld`). */
  readonly replaced: string | undefined;
  /** True when it went on from an earlier, interrupted run's checkpoint (`resumedFrom`). */
  readonly resumed: boolean;
  readonly resumedFrom: Position | undefined;
  readonly durationMs: number;
}

/** Lease of the rebuild lock: a killed rebuild's lock is taken over this long after its last renewal. */
const LOCK_TTL_MS = 5_000;

/**
 * Rebuilds a projection from the log without downtime: builds into a fresh namespace while the served
 * one keeps serving (and the live runner keeps it current), with the same catch-up loop the runner
 * uses, then swaps the served namespace — in one transaction that also checks the new model is at
 * least as fresh as the served one (and applies what the served one has seen beyond it), so readers
 * never step back. Every commit and the swap are fenced by the rebuild's lease: a rebuild that
 * stalled past it cannot write beside the one that took over. The live runner continues on the new
 * namespace from its checkpoint, and the old one is dropped. An interrupted rebuild resumes from its
 * own checkpoint (unless `fresh`). With `until`, builds the read model as it was then into a scratch
 * namespace instead.
 *
 * @throws ProjectionError when another rebuild of the projection runs, for reactors, when a handler
 * fails or an event cannot be decoded during the rebuild (the served model is untouched), or when
 * its lease was lost.
 */
export async function rebuildProjection(
  engine: ProjectionEngine,
  name: string,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  if (engine.context.telemetry?.enabled === false) return rebuild(engine, name, options);
  // One span for the whole rebuild, none per replayed event (see ProjectionTelemetryOptions.replaySpans).
  return inSpan(
    SpanNames.rebuild,
    {
      attributes: () => ({
        [A.messagingSystem]: MESSAGING_SYSTEM,
        [A.messagingOperationType]: 'process',
        [A.projection]: name,
        [A.replay]: true,
        [A.scratch]: options.until !== undefined,
      }),
    },
    async (span) => {
      const result = await rebuild(engine, name, options);
      span?.setAttributes({
        [A.namespace]: result.namespace,
        [A.processed]: result.processed,
      });
      return result;
    },
  );
}

async function rebuild(
  engine: ProjectionEngine,
  name: string,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const definition = engine.definition(name);
  const { meta, eventTypes } = definition;
  if (meta.kind !== 'projection') {
    throw new ProjectionError(
      name,
      `"${name}" is a reactor: reactors are never replayed (their side effects must not repeat).`,
    );
  }
  const { store, eventStore, events, telemetry } = engine.context;
  const reporter = engine.reporter;
  const ttl = options.lockTtlMs ?? LOCK_TTL_MS;
  const owner = `rebuild-${process.pid}-${randomUUID().slice(0, 8)}`;
  const lease = new Lease(store, rebuildLockName(name), owner, ttl);
  await acquire(lease, options.lockWaitMs ?? ttl + 500, name, store);
  const started = Date.now();
  let plan: RebuildPlan | undefined;
  let progress: RebuildProgressReporter | undefined;
  try {
    plan = await planRebuild(store, {
      projection: name,
      version: meta.version,
      until: options.until,
      timeBasis: options.timeBasis,
      fresh: options.fresh ?? false,
      temporary: options.temporary ?? false,
    });
    const { namespace } = plan;
    const resumedFrom = await store.getCheckpoint(namespace);
    reporter.emit('rebuild-started', {
      projection: name,
      namespace,
      resumed: resumedFrom !== undefined,
      from: resumedFrom,
      scratch: plan.scratch,
    });
    const reporting = new RebuildProgressReporter(
      eventStore,
      name,
      namespace,
      eventTypes,
      options.onProgress,
      resumedFrom,
    );
    progress = reporting;
    const filter = { eventTypes };
    const batchSize = options.batchSize ?? 1000;
    let phase: RebuildProgress['phase'] = 'building';
    let head: Position | undefined;

    const committed = async (count: number, checkpoint: Position, began: number): Promise<void> => {
      reporting.applied(count, checkpoint);
      if (reporter.has('batch-committed')) {
        reporter.emit('batch-committed', {
          projection: name,
          namespace,
          count,
          checkpoint,
          durationMs: Date.now() - began,
          replay: true,
        });
      }
      await reporting.report(phase, head);
    };
    const traceBatches = telemetry?.replaySpans === 'batch' && telemetry.enabled !== false;
    const applyTraced = (tx: ReadModelTransaction, batch: readonly RecordedEvent[]): Promise<void> => {
      const apply = () => applyEvents(definition, events, tx, batch, true);
      return traceBatches && batch.length > 0
        ? batchSpan(meta, namespace, batch, true, telemetry, apply)
        : apply();
    };

    const commit = async (batch: readonly RecordedEvent[], checkpoint: Position): Promise<void> => {
      const began = Date.now();
      lease.check();
      try {
        await store.transaction(namespace, async (tx) => {
          await tx.assertLock(lease.lock, lease.owner);
          await applyTraced(tx, batch);
          await tx.setCheckpoint(checkpoint);
        });
      } catch (error) {
        throw stoppedAt(name, error, batch);
      }
      await committed(batch.length, checkpoint, began);
    };

    // Batches applied into one transaction per window; a handler failure makes the pass replay the
    // window through `commit` above, which stops at the event.
    const commitMs = options.catchUpCommitMs ?? DEFAULT_CATCH_UP_COMMIT_MS;
    const window: CatchUpWindow | undefined =
      commitMs > 0
        ? {
            ms: commitMs,
            open: async () => {
              const began = Date.now();
              lease.check();
              let count = 0;
              const open = await openTransactionWindow(
                store,
                namespace,
                (tx) => tx.assertLock(lease.lock, lease.owner),
                (tx, batch) => {
                  count += batch.length;
                  return applyTraced(tx, batch);
                },
              ).catch((error: unknown) => {
                throw stoppedAt(name, error, []);
              });
              return {
                ...open,
                commit: async (checkpoint: Position) => {
                  await open.commit(checkpoint).catch((error: unknown) => {
                    throw stoppedAt(name, error, []);
                  });
                  await committed(count, checkpoint, began);
                },
              };
            },
          }
        : undefined;

    let checkpoint = resumedFrom;
    let replaced: string | undefined;
    const select = selector(options);
    for (;;) {
      reporting.newPass();
      const pass = await catchUpToHead({
        eventStore,
        filter,
        batchSize,
        from: checkpoint,
        ...(select ? { select } : {}),
        commit,
        undecodable: async (event) => {
          throw new ProjectionError(
            name,
            `Rebuild of "${name}" stopped: ${event.message} The served read model is untouched.`,
            { cause: event },
          );
        },
        interrupted: () => !lease.held,
        ...(window ? { window } : {}),
      });
      head = pass.head;
      checkpoint = pass.checkpoint;
      lease.check();
      if (plan.scratch) {
        // Everything up to a position `until` was seen: the scratch model reaches it, even past events
        // not handled here.
        const reach = options.until instanceof Date ? undefined : options.until;
        const sawAll =
          pass.stopped === 'selected' ||
          (pass.reachedHead && !!head && comparePositions(head, reach ?? head) >= 0);
        if (reach && sawAll && isAfter(reach, checkpoint)) {
          await commit([], reach);
          checkpoint = reach;
        }
        break;
      }
      phase = 'catching-up';
      // Far behind still (the log grew during the pass): another pass before trying to swap.
      if (pass.read >= batchSize) continue;
      await reporting.report('swapping', head, true);
      const swap = await swapWhenFresh(engine, name, namespace, lease, checkpoint, batchSize).catch(
        (error: unknown) => {
          throw stoppedAt(name, error, []);
        },
      );
      if (!swap) continue; // the served model moved on meanwhile: close the gap and try again
      checkpoint = swap.checkpoint;
      replaced = swap.replaced;
      reporter.emit('rebuild-swapped', { projection: name, namespace, replaced, checkpoint });
      break;
    }
    await finishRebuild(store, plan);
    if (replaced && replaced !== namespace && !options.keepOld) await store.dropNamespace(replaced);
    await reporting.report('done', plan.scratch ? head : await eventStore.headPosition(), true);
    const result = resultOf(name, plan, reporting, checkpoint, replaced, resumedFrom, started);
    reporter.emit('rebuild-finished', {
      projection: name,
      namespace,
      processed: result.processed,
      durationMs: result.durationMs,
      error: undefined,
    });
    return result;
  } catch (error) {
    reporter.emit('rebuild-finished', {
      projection: name,
      namespace: plan?.namespace ?? '',
      processed: progress?.processed ?? 0,
      durationMs: Date.now() - started,
      error,
    });
    throw error;
  } finally {
    await lease.release();
  }
}

/** Rebuilds every projection (not reactors), one after another. */
export async function rebuildAll(
  engine: ProjectionEngine,
  options: Omit<RebuildOptions, 'until' | 'temporary'> = {},
): Promise<RebuildResult[]> {
  const results: RebuildResult[] = [];
  for (const definition of engine.definitions) {
    if (definition.meta.kind === 'projection')
      results.push(await rebuildProjection(engine, definition.meta.name, options));
  }
  return results;
}

/** Waits up to `waitMs` for the rebuild lock. @throws ProjectionError naming the holder. */
async function acquire(
  lease: Lease,
  waitMs: number,
  name: string,
  store: ProjectionEngine['context']['store'],
): Promise<void> {
  const waitUntil = Date.now() + waitMs;
  for (;;) {
    if (await lease.acquire()) return;
    if (Date.now() >= waitUntil) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const holder = await store.lockHolder(lease.lock);
  throw new ProjectionError(
    name,
    `A rebuild of "${name}" is already running (held by ${holder?.owner ?? 'another process'}` +
      `${holder ? ` until at least ${holder.expiresAt.toISOString()}` : ''}). Wait for it to finish; an interrupted one is resumed by the next rebuild.`,
  );
}

/** Which events of the log a read model as of `until` takes. */
function selector(options: RebuildOptions): ((event: RecordedEvent) => Selection) | undefined {
  const until = options.until;
  if (until === undefined) return undefined;
  if (!(until instanceof Date))
    return (event) => (comparePositions(event.position, until) > 0 ? 'stop' : 'apply');
  if (options.timeBasis === 'occurred') {
    const limit = until.getTime();
    return (event) => (Date.parse(event.metadata.occurredAt) > limit ? 'skip' : 'apply');
  }
  return (event) => (event.recordedAt > until ? 'stop' : 'apply');
}

/** A rebuild that failed in a commit, as the caller should read it. */
function stoppedAt(name: string, error: unknown, batch: readonly RecordedEvent[]): unknown {
  if (error instanceof ProjectionError) return error; // a lost lease, a conflict: already clear
  const failure = error instanceof HandlerFailure ? error : undefined;
  const event = failure ? batch[failure.index] : undefined;
  const cause = failure ? failure.original : error;
  return new ProjectionError(
    name,
    `Rebuild of "${name}" stopped${event ? ` at ${event.type} ${event.streamId}@${event.revision} (position ${serializePosition(event.position)})` : ''}: ` +
      `${(cause as Error)?.message ?? cause}. The served read model is untouched; fix the handler and run the rebuild again with --fresh (or it resumes where it stopped).`,
    { cause },
  );
}

function resultOf(
  projection: string,
  plan: RebuildPlan,
  progress: RebuildProgressReporter,
  position: Position | undefined,
  replaced: string | undefined,
  resumedFrom: Position | undefined,
  started: number,
): RebuildResult {
  return {
    projection,
    namespace: plan.namespace,
    scratch: plan.scratch,
    processed: progress.processed,
    position,
    replaced,
    resumed: resumedFrom !== undefined,
    resumedFrom,
    durationMs: Date.now() - started,
  };
}
