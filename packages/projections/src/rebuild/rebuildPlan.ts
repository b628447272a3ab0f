import { randomUUID } from 'node:crypto';
import { serializePosition, type Position } from '@rewind/core';
import type { ReadModelStore } from '../readModel/readModelStore';
import { SYSTEM_NAMESPACE } from '../runner/namespaces';

/** Where rebuilds in progress are recorded (in the system namespace), so a crashed one resumes. */
export const REBUILDS = 'rebuilds';

/** What a rebuild builds into, and whether it picks up an interrupted run. */
export interface RebuildPlan {
  /** The record's key in the `rebuilds` collection (none for a temporary build). */
  readonly key: string | undefined;
  readonly namespace: string;
  /** A read model as of a past moment, never served. */
  readonly scratch: boolean;
  readonly resumed: boolean;
}

/** What {@link planRebuild} needs to know. */
export interface RebuildTarget {
  readonly projection: string;
  readonly version: number;
  readonly until: Position | Date | undefined;
  readonly timeBasis: 'recorded' | 'occurred' | undefined;
  /** Start over: drop an interrupted run's namespace instead of resuming it. */
  readonly fresh: boolean;
  /** A scratch build for one look (a name of its own, never resumed; the caller drops it). */
  readonly temporary: boolean;
}

/**
 * Chooses the namespace a rebuild builds into and records it, so that an interrupted rebuild of the
 * same target resumes there (unless `fresh`). Names:
 * - a full rebuild: `<projection>@v<version>#<time, base 36>`;
 * - a read model as of a past point (`until`): `<projection>@v<version>~<label>`, with labels
 *   `pos-<position>`, `at-<recorded time>` or `occurred-<business time>` — kept until dropped;
 * - a temporary one (`readmodel --as-of`): the same, plus `-tmp-<random>`, so it never touches a
 *   scratch namespace a `rebuild --until` left.
 * A record that points at the namespace already served is stale (the swap committed, its cleanup did
 * not): it is dropped and the rebuild starts afresh.
 */
export async function planRebuild(store: ReadModelStore, target: RebuildTarget): Promise<RebuildPlan> {
  const { projection, version, until } = target;
  const scratch = until !== undefined;
  const label = scratch ? untilLabel(until, target.timeBasis) : undefined;
  if (target.temporary) {
    return {
      key: undefined,
      namespace: `${projection}@v${version}~${label ?? 'now'}-tmp-${randomUUID().slice(0, 8)}`,
      scratch: true,
      resumed: false,
    };
  }
  const key = label ? `${projection}~${label}` : projection;
  const records = store.collection<{ namespace?: string }>(SYSTEM_NAMESPACE, REBUILDS);
  const previous = (await records.get(key))?.namespace;
  const served = await store.servedNamespace(projection);
  if (previous && previous !== served && !target.fresh) {
    return { key, namespace: previous, scratch, resumed: true };
  }
  if (previous && previous !== served) {
    const exists = (await store.listNamespaces()).some((n) => n.namespace === previous);
    if (exists) await store.dropNamespace(previous);
  }
  const namespace = label
    ? `${projection}@v${version}~${label}`
    : `${projection}@v${version}#${Date.now().toString(36)}`;
  if (scratch && target.fresh && namespace !== served) {
    const exists = (await store.listNamespaces()).some((n) => n.namespace === namespace);
    if (exists) await store.dropNamespace(namespace);
  }
  await store.transaction(SYSTEM_NAMESPACE, (tx) =>
    tx.collection(REBUILDS).put(key, { namespace, startedAt: new Date().toISOString() }),
  );
  return { key, namespace, scratch, resumed: false };
}

/** Forgets a finished rebuild's record. */
export async function finishRebuild(store: ReadModelStore, plan: RebuildPlan): Promise<void> {
  if (plan.key === undefined) return;
  const key = plan.key;
  await store.transaction(SYSTEM_NAMESPACE, (tx) => tx.collection(REBUILDS).delete(key));
}

/** The label of a past point in a scratch namespace's name. */
export function untilLabel(until: Position | Date, basis: 'recorded' | 'occurred' | undefined): string {
  if (until instanceof Date)
    return `${basis === 'occurred' ? 'occurred' : 'at'}-${until.toISOString().replace(/[:.]/g, '')}`;
  return `pos-${serializePosition(until).replace('/', '.')}`;
}
