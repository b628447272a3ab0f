import { randomUUID } from 'node:crypto';
import {
  comparePositions,
  isAfter,
  ProjectionError,
  readAllInPages,
  serializePosition,
  type Position,
  type RecordedEvent,
} from '@rewind/core';
import { HandlerFailure, applyEvents } from '../runner/projectionRunner';
import type { ProjectionEngine } from '../runner/projectionEngine';
import { SYSTEM_NAMESPACE, rebuildLockName } from '../runner/namespaces';

/** Progress of a rebuild, reported throughout. */
export interface RebuildProgress {
  readonly projection: string;
  readonly namespace: string;
  readonly processed: number;
  readonly position: Position | undefined;
  readonly head: Position | undefined;
  readonly eventsPerSecond: number;
  /** Seconds left, when the store can count what remains. */
  readonly etaSeconds: number | undefined;
  readonly phase: 'building' | 'catching-up' | 'swapping' | 'done';
}

/** Options for {@link rebuildProjection}. */
export interface RebuildOptions {
  /**
   * Build the read model as it was at this position or moment, into a scratch namespace that is not
   * served (query it, diff it, drop it). Without it, the rebuild replaces the served read model.
   */
  readonly until?: Position | Date;
  /** With a Date `until`: `'recorded'` (default, store time) or `'occurred'` (business time). */
  readonly timeBasis?: 'recorded' | 'occurred';
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Events per transaction (default 1000). */
  readonly batchSize?: number;
  /** Keep the replaced namespace instead of dropping it. */
  readonly keepOld?: boolean;
  /**
   * How long to wait for another rebuild's lock (default: one lease, 5 s). A rebuild that is alive
   * renews its lease and is still refused after the wait; a killed one's lease lapses and this
   * rebuild takes over, resuming from its checkpoint.
   */
  readonly lockWaitMs?: number;
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
  readonly resumed: boolean;
  readonly durationMs: number;
}

const REBUILDS = 'rebuilds';
const LOCK_TTL_MS = 5_000;

/**
 * Rebuilds a projection from the log without downtime: builds into a fresh namespace while the served
 * one keeps serving (and the live runner keeps it current), catches up with the head, then swaps the
 * served namespace in one transaction; the live runner continues on the new namespace from its
 * checkpoint, and the old one is dropped. An interrupted rebuild resumes from its own checkpoint.
 * With `until`, builds the read model as it was then into a scratch namespace instead.
 *
 * @throws ProjectionError when another rebuild of the projection runs, for reactors, or when a handler
 * fails during the rebuild (the served model is untouched).
 */
export async function rebuildProjection(
  engine: ProjectionEngine,
  name: string,
  options: RebuildOptions = {},
): Promise<RebuildResult> {
  const definition = engine.definition(name);
  const { meta } = definition;
  if (meta.kind !== 'projection') {
    throw new ProjectionError(
      name,
      `"${name}" is a reactor: reactors are never replayed (their side effects must not repeat).`,
    );
  }
  const { store, eventStore, events } = engine.context;
  const owner = `rebuild-${process.pid}-${randomUUID().slice(0, 8)}`;
  const lock = rebuildLockName(name);
  const waitUntil = Date.now() + (options.lockWaitMs ?? LOCK_TTL_MS + 500);
  let acquired = await store.tryAcquireLock(lock, owner, LOCK_TTL_MS);
  while (!acquired && Date.now() < waitUntil) {
    await new Promise((r) => setTimeout(r, 100));
    acquired = await store.tryAcquireLock(lock, owner, LOCK_TTL_MS);
  }
  if (!acquired) {
    const holder = await store.lockHolder(lock);
    throw new ProjectionError(
      name,
      `A rebuild of "${name}" is already running (held by ${holder?.owner ?? 'another process'}` +
        `${holder ? ` until at least ${holder.expiresAt.toISOString()}` : ''}). Wait for it to finish; an interrupted one is resumed by the next rebuild.`,
    );
  }
  const renew = setInterval(
    () => void store.tryAcquireLock(lock, owner, LOCK_TTL_MS).catch(() => undefined),
    LOCK_TTL_MS / 3,
  );
  renew.unref();
  const started = Date.now();
  try {
    const scratch = options.until !== undefined;
    const key = scratch ? `${name}~${untilLabel(options.until!, options.timeBasis)}` : name;
    const record = (await store.collection(SYSTEM_NAMESPACE, REBUILDS).get(key)) as
      { namespace?: string } | undefined;
    const resumed = !!record?.namespace;
    const namespace =
      record?.namespace ??
      (scratch
        ? `${name}@v${meta.version}~${untilLabel(options.until!, options.timeBasis)}`
        : `${name}@v${meta.version}#${Date.now().toString(36)}`);
    if (!resumed) {
      await store.transaction(SYSTEM_NAMESPACE, (tx) =>
        tx.collection(REBUILDS).put(key, { namespace, startedAt: new Date().toISOString(), owner }),
      );
    }

    let checkpoint = await store.transaction(namespace, (tx) => tx.getCheckpoint());
    let processed = 0;
    const rateWindow: Array<[number, number]> = [];
    let estimate: { remaining: number; processed: number } | undefined;
    const report = async (phase: RebuildProgress['phase'], head: Position | undefined) => {
      if (!options.onProgress) return;
      const now = Date.now();
      rateWindow.push([now, processed]);
      while (rateWindow.length > 2 && now - rateWindow[0]![0] > 3000) rateWindow.shift();
      const [t0, n0] = rateWindow[0]!;
      const eventsPerSecond = now > t0 ? ((processed - n0) * 1000) / (now - t0) : 0;
      let etaSeconds: number | undefined;
      if (eventStore.countEvents && eventsPerSecond > 0 && phase !== 'done') {
        // Counting is a scan on some stores: count once per pass, then derive from what was applied.
        estimate ??= {
          remaining: await eventStore.countEvents({
            ...(checkpoint ? { after: checkpoint } : {}),
            filter: { eventTypes: definition.eventTypes },
          }),
          processed,
        };
        etaSeconds = Math.max(0, estimate.remaining - (processed - estimate.processed)) / eventsPerSecond;
      }
      options.onProgress({
        projection: name,
        namespace,
        processed,
        position: checkpoint,
        head,
        eventsPerSecond,
        etaSeconds,
        phase,
      });
    };

    const until = options.until;
    const stopAt = (event: RecordedEvent): 'apply' | 'skip' | 'stop' => {
      if (until === undefined) return 'apply';
      if (!(until instanceof Date)) return comparePositions(event.position, until) > 0 ? 'stop' : 'apply';
      if (options.timeBasis === 'occurred') {
        const occurred = new Date(event.metadata.occurredAt);
        return occurred > until ? 'skip' : 'apply';
      }
      return event.recordedAt > until ? 'stop' : 'apply';
    };

    const batchSize = options.batchSize ?? 1000;
    let lastReport = 0;
    // Each pass reads from the checkpoint to the head at the time; a full rebuild repeats until a pass
    // finds (almost) nothing new, then swaps.
    for (let pass = 0; ; pass++) {
      estimate = undefined;
      const head = await eventStore.headPosition();
      let batch: RecordedEvent[] = [];
      let passCount = 0;
      let stopped = false;
      const flush = async (upTo?: Position) => {
        const target = batch.length ? batch[batch.length - 1]!.position : upTo;
        if (!target) return;
        const applied = batch;
        batch = [];
        try {
          await store.transaction(namespace, async (tx) => {
            await applyEvents(definition, events, tx, applied, true);
            await tx.setCheckpoint(target);
          });
        } catch (error) {
          const failure = error instanceof HandlerFailure ? error : undefined;
          const event = failure ? applied[failure.index] : undefined;
          const cause = failure ? failure.original : error;
          throw new ProjectionError(
            name,
            `Rebuild of "${name}" stopped${event ? ` at ${event.type} ${event.streamId}@${event.revision} (position ${serializePosition(event.position)})` : ''}: ` +
              `${(cause as Error)?.message ?? cause}. The served read model is untouched; fix the handler and run the rebuild again to resume.`,
            { cause },
          );
        }
        checkpoint = target;
        processed += applied.length;
        if (Date.now() - lastReport > 200) {
          lastReport = Date.now();
          await report(pass === 0 ? 'building' : 'catching-up', head);
        }
      };
      // Pages, not single events: one promise per page keeps the read path close to the raw ceiling.
      const pages = readAllInPages(
        eventStore,
        { ...(checkpoint ? { after: checkpoint } : {}), filter: { eventTypes: definition.eventTypes } },
        batchSize,
      );
      reading: for await (const page of pages) {
        // Whole pages below the head and without an `until` need no check per event.
        const pastHead = !!head && comparePositions(page[page.length - 1]!.position, head) > 0;
        for (let i = 0; i < page.length; i++) {
          const event = page[i]!;
          if (pastHead && comparePositions(event.position, head!) > 0) break reading;
          const decision = until === undefined ? 'apply' : stopAt(event);
          if (decision === 'stop') {
            stopped = true;
            break reading;
          }
          passCount++;
          if (decision === 'skip') continue;
          batch.push(event);
          if (batch.length >= batchSize) await flush();
        }
      }
      await flush();
      if (scratch) {
        // Remember how far the scratch model reaches, even when no event matched.
        const reach = until instanceof Date ? undefined : until;
        if (reach && isAfter(reach, checkpoint) && !stopped && head && comparePositions(head, reach) >= 0) {
          await store.transaction(namespace, (tx) => tx.setCheckpoint(reach));
          checkpoint = reach;
        }
        await store.transaction(SYSTEM_NAMESPACE, (tx) => tx.collection(REBUILDS).delete(key));
        await report('done', head);
        return {
          projection: name,
          namespace,
          scratch: true,
          processed,
          position: checkpoint,
          replaced: undefined,
          resumed,
          durationMs: Date.now() - started,
        };
      }
      // Everything up to the head read at the start of the pass has been seen, matching or not.
      if (head && isAfter(head, checkpoint)) {
        const upTo = head;
        await store.transaction(namespace, (tx) => tx.setCheckpoint(upTo));
        checkpoint = upTo;
      }
      // Swap only once the new model is at least as fresh as the one served, so readers never step back.
      const served = await store.servedNamespace(name);
      const live =
        served && served !== namespace
          ? await store.transaction(served, (tx) => tx.getCheckpoint())
          : undefined;
      const caughtUp = !live || (checkpoint !== undefined && comparePositions(checkpoint, live) >= 0);
      if ((passCount < batchSize && caughtUp) || pass >= 50) break;
    }

    await report('swapping', await eventStore.headPosition());
    const replaced = await store.transaction(namespace, async (tx) => {
      const previous = await tx.getServed(name);
      await tx.setServed(name, namespace);
      return previous;
    });
    await store.transaction(SYSTEM_NAMESPACE, (tx) => tx.collection(REBUILDS).delete(key));
    if (replaced && replaced !== namespace && !options.keepOld) await store.dropNamespace(replaced);
    await report('done', await eventStore.headPosition());
    return {
      projection: name,
      namespace,
      scratch: false,
      processed,
      position: checkpoint,
      replaced,
      resumed,
      durationMs: Date.now() - started,
    };
  } finally {
    clearInterval(renew);
    await store.releaseLock(lock, owner).catch(() => undefined);
  }
}

/** Rebuilds every projection (not reactors), one after another. */
export async function rebuildAll(
  engine: ProjectionEngine,
  options: Omit<RebuildOptions, 'until'> = {},
): Promise<RebuildResult[]> {
  const results: RebuildResult[] = [];
  for (const definition of engine.definitions) {
    if (definition.meta.kind === 'projection')
      results.push(await rebuildProjection(engine, definition.meta.name, options));
  }
  return results;
}

function untilLabel(until: Position | Date, basis: RebuildOptions['timeBasis']): string {
  if (until instanceof Date)
    return `${basis === 'occurred' ? 'occurred' : 'at'}-${until.toISOString().replace(/[:.]/g, '')}`;
  return `pos-${serializePosition(until).replace('/', '.')}`;
}
