// The body of `readmodel` (registered in readModelCommands.ts).
import { ProjectionError, serializePosition, type Position } from '@rewind/core';
import {
  checkDroppable,
  diffNamespaces,
  NamespaceNotFoundError,
  rebuildProjection,
  REBUILDS,
  SYSTEM_NAMESPACE,
  type NamespaceInfo,
  type ReadModelStore,
} from '@rewind/projections';
import type { CliContext } from '../context';
import { formatChanges, show, table, type StateChange } from '../output/format';
import { CliError, EXIT } from '../util/cliError';
import { parsePositionOrTime, parsePositive } from '../util/parseInput';
import { pastPoint, rebuildWithProgress } from './rebuildActions';

/** What a namespace of a projection is for. */
type NamespaceRole = 'served' | 'rebuilding' | 'scratch' | 'unserved';

/** The options of `readmodel`, as commander parses them. */
export interface ReadModelOptions {
  asOf?: string;
  businessTime?: boolean;
  namespace?: string;
  listNamespaces?: boolean;
  collection?: string;
  id?: string;
  diffWithLive?: boolean;
  drop?: string;
  limit?: string;
}

/** `rewind readmodel <projection>`: documents, namespaces, a diff, or a drop. */
export async function showReadModel(
  ctx: CliContext,
  projection: string,
  opts: ReadModelOptions,
): Promise<void> {
  if (opts.id !== undefined && opts.collection === undefined)
    throw new CliError('--id needs --collection <name>.', EXIT.usage);
  if (opts.asOf !== undefined && opts.namespace !== undefined)
    throw new CliError('Give --as-of or --namespace, not both.', EXIT.usage);
  const asOf = opts.asOf === undefined ? undefined : parsePositionOrTime(opts.asOf, '--as-of');
  const limit = opts.limit === undefined ? undefined : parsePositive(opts.limit, '--limit');
  if (limit !== undefined && (opts.listNamespaces || opts.drop !== undefined || opts.diffWithLive))
    throw new CliError(
      '--limit caps the documents printed; drop it with --list-namespaces, --drop or --diff-with-live.',
      EXIT.usage,
    );
  const engine = await ctx.engine();
  await ctx.projection(projection);
  const store = engine.context.store;
  const served = await store.servedNamespace(projection);
  if (opts.listNamespaces) return listNamespaces(ctx, store, projection);
  if (opts.drop !== undefined) return dropNamespace(ctx, store, projection, opts.drop, served);
  if (opts.namespace !== undefined) await requireNamespace(store, projection, opts.namespace);
  const show = async (namespace: string | undefined): Promise<void> => {
    if (namespace === undefined)
      throw new CliError(
        `${projection} has no built read model yet. Start your projection runner or run: rewind rebuild ${projection} --yes`,
        EXIT.notFound,
      );
    if (opts.diffWithLive) {
      if (served === undefined)
        throw new CliError(`${projection} has no served read model to compare with.`, EXIT.notFound);
      return await printDiff(ctx, store, namespace, served);
    }
    await printDocuments(ctx, store, projection, namespace, opts, limit);
  };
  if (asOf === undefined) return show(opts.namespace ?? served);
  return withReadModelAsOf(ctx, projection, { asOf, businessTime: opts.businessTime }, show, {
    progress: true,
  });
}

/**
 * Builds `projection` as of a past position or time into a temporary namespace, runs `work` on it and
 * drops it: what `rewind readmodel --as-of` shows and Rewind Studio puts next to the live read model.
 * `progress` reports the rebuild on stderr, as the CLI does.
 */
export async function withReadModelAsOf<T>(
  ctx: CliContext,
  projection: string,
  point: { asOf: Position | Date; businessTime?: boolean | undefined },
  work: (namespace: string) => Promise<T>,
  options: { progress?: boolean } = {},
): Promise<T> {
  const engine = await ctx.engine();
  const rebuildOptions = { ...pastPoint(point.asOf, point.businessTime), temporary: true };
  const result = options.progress
    ? await rebuildWithProgress(ctx, projection, rebuildOptions)
    : await rebuildProjection(engine, projection, rebuildOptions);
  try {
    return await work(result.namespace);
  } finally {
    await engine.context.store.dropNamespace(result.namespace);
  }
}

/** The namespaces of one projection, each with its role. */
async function namespacesOf(
  store: ReadModelStore,
  projection: string,
): Promise<Array<NamespaceInfo & { role: NamespaceRole }>> {
  const building = new Set(
    (await store.collection<{ namespace?: string }>(SYSTEM_NAMESPACE, REBUILDS).find())
      .map((r) => r.doc.namespace)
      .filter((n): n is string => n !== undefined),
  );
  return (await store.listNamespaces())
    .filter((n) => n.namespace.startsWith(`${projection}@`) || n.servedFor === projection)
    .map((n) => ({
      ...n,
      role:
        n.servedFor === projection
          ? 'served'
          : building.has(n.namespace)
            ? 'rebuilding'
            : n.namespace.includes('~')
              ? 'scratch'
              : 'unserved',
    }));
}

async function listNamespaces(ctx: CliContext, store: ReadModelStore, projection: string): Promise<void> {
  const namespaces = await namespacesOf(store, projection);
  ctx.out.data({ projection, namespaces });
  const rows = [['NAMESPACE', 'ROLE', 'CHECKPOINT', 'DOCUMENTS']];
  for (const n of namespaces)
    rows.push([
      n.namespace,
      n.role,
      n.checkpoint ? serializePosition(n.checkpoint) : '-',
      String(n.documents),
    ]);
  ctx.out.line(namespaces.length ? table(rows, ctx.out.colors.bold) : `${projection} has no namespaces yet.`);
}

/** @throws NamespaceNotFoundError (exit 4) naming the projection's namespaces. */
async function requireNamespace(store: ReadModelStore, projection: string, namespace: string): Promise<void> {
  const known = await namespacesOf(store, projection);
  if (!known.some((n) => n.namespace === namespace))
    throw new NamespaceNotFoundError(
      namespace,
      known.map((n) => n.namespace),
    );
}

async function dropNamespace(
  ctx: CliContext,
  store: ReadModelStore,
  projection: string,
  namespace: string,
  served: string | undefined,
): Promise<void> {
  try {
    checkDroppable(namespace);
  } catch (error) {
    throw new CliError((error as ProjectionError).message, EXIT.usage, { cause: error });
  }
  if (namespace === served)
    throw new CliError(
      `${namespace} is the served namespace of ${projection}; it cannot be dropped.`,
      EXIT.usage,
    );
  await requireNamespace(store, projection, namespace);
  await store.dropNamespace(namespace);
  ctx.out.data({ dropped: namespace });
  ctx.out.line(`Dropped ${namespace}.`);
}

async function printDiff(
  ctx: CliContext,
  store: ReadModelStore,
  namespace: string,
  served: string,
): Promise<void> {
  const diff = await diffNamespaces(store, namespace, served);
  ctx.out.data(diff);
  if (diff.identical) return ctx.out.line(`${namespace} and the live ${served} are identical.`);
  for (const c of diff.collections) {
    if (!c.added.length && !c.removed.length && !c.changed.length) continue;
    ctx.out.line(ctx.out.colors.bold(c.collection));
    for (const a of c.added) ctx.out.line(ctx.out.colors.green(`  + ${a.key}: ${show(a.doc)}`));
    for (const r of c.removed) ctx.out.line(ctx.out.colors.red(`  - ${r.key}`));
    for (const ch of c.changed) {
      ctx.out.line(ctx.out.colors.yellow(`  ~ ${ch.key}`));
      for (const line of formatChanges(ch.changes as unknown as StateChange[], ctx.out.colors))
        ctx.out.line(`      ${line}`);
    }
  }
}

async function printDocuments(
  ctx: CliContext,
  store: ReadModelStore,
  projection: string,
  namespace: string,
  opts: ReadModelOptions,
  limit: number | undefined,
): Promise<void> {
  const collections =
    opts.collection !== undefined ? [opts.collection] : await store.listCollections(namespace);
  const result: Record<string, unknown> = {};
  const rows: string[][] = [['COLLECTION', 'KEY', 'DOCUMENT']];
  const truncated: string[] = [];
  for (const collection of collections) {
    const reader = store.collection(namespace, collection);
    if (opts.id !== undefined) {
      const doc = await reader.get(opts.id);
      if (doc === undefined)
        throw new CliError(`No document "${opts.id}" in ${collection} of ${namespace}.`, EXIT.notFound);
      result[collection] = { [opts.id]: doc };
      rows.push([collection, opts.id, show(doc)]);
    } else {
      // One more than the limit tells whether the collection holds more than is printed.
      const found = await reader.find({}, limit === undefined ? {} : { limit: limit + 1 });
      const docs = limit === undefined ? found : found.slice(0, limit);
      if (docs.length < found.length) truncated.push(collection);
      result[collection] = Object.fromEntries(docs.map((d) => [d.key, d.doc]));
      for (const d of docs) rows.push([collection, d.key, show(d.doc)]);
    }
  }
  ctx.out.data({
    projection,
    namespace,
    collections: result,
    ...(limit !== undefined ? { limit, truncated } : {}),
  });
  ctx.out.line(ctx.out.colors.dim(`namespace ${namespace}`));
  ctx.out.line(table(rows, ctx.out.colors.bold));
  if (truncated.length > 0)
    ctx.out.line(
      ctx.out.colors.dim(
        `(first ${limit} document${limit === 1 ? '' : 's'} of each collection; ${truncated.join(', ')} ${truncated.length === 1 ? 'holds' : 'hold'} more: raise --limit to see them)`,
      ),
    );
}
