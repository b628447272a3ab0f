import type { ReadModelStore } from '../readModel/readModelStore';
import type { ProcessorMetadata } from '../decorators/projection.decorator';
import type { Lease } from './lease';
import { SYSTEM_NAMESPACE, defaultNamespace } from './namespaces';

/** Where a runner writes, and the served namespace of an older version it builds a replacement for. */
export interface RunnerNamespace {
  readonly namespace: string;
  readonly replacing: string | undefined;
}

/**
 * The namespace a runner writes to: the served one, or the default for its version (served from now
 * on when nothing is). When the served namespace belongs to another version of the projection (the
 * code's version was bumped), the runner builds the new version into its own namespace from the
 * start of the log while readers keep the old one, and {@link serveNewVersion} swaps once it caught up.
 */
export function resolveNamespace(store: ReadModelStore, meta: ProcessorMetadata): Promise<RunnerNamespace> {
  const fallback = defaultNamespace(meta.kind, meta.name, meta.version);
  return store.transaction(SYSTEM_NAMESPACE, async (tx) => {
    const served = await tx.getServed(meta.name);
    if (!served) {
      await tx.setServed(meta.name, fallback);
      return { namespace: fallback, replacing: undefined };
    }
    const version = /@v(\d+)/.exec(served)?.[1];
    if (meta.kind === 'projection' && version !== undefined && Number(version) !== meta.version) {
      return { namespace: fallback, replacing: served };
    }
    return { namespace: served, replacing: undefined };
  });
}

/**
 * Serves a new version's namespace instead of the old one, fenced by the runner's lease, and drops the
 * old one. @returns false when the old one was no longer served (nothing done).
 */
export async function serveNewVersion(
  store: ReadModelStore,
  lease: Lease,
  projection: string,
  { namespace, replacing }: RunnerNamespace,
): Promise<boolean> {
  if (!replacing) return false;
  const swapped = await store.transaction(namespace, async (tx) => {
    await tx.assertLock(lease.lock, lease.owner);
    if ((await tx.getServed(projection)) !== replacing) return false;
    await tx.setServed(projection, namespace);
    return true;
  });
  if (swapped) await store.dropNamespace(replacing).catch(() => undefined);
  return swapped;
}
