import { ProjectionError, serializePosition } from '@rewind/core';
import {
  checkDroppable,
  diffNamespaces,
  NamespaceNotFoundError,
  REBUILDS,
  SYSTEM_NAMESPACE,
  type NamespaceInfo,
  type ReadModelStore,
} from '@rewind/projections';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { formatChanges, show, table, type StateChange } from '../output/format';
import { CliError, EXIT } from '../util/cliError';
import { parsePositionOrTime } from '../util/parseInput';
import type { Action } from './action';
import { pastPoint, rebuildWithProgress } from './rebuildCommands';

/** What a namespace of a projection is for. */
type NamespaceRole = 'served' | 'rebuilding' | 'scratch' | 'unserved';

interface ReadModelOptions {
  asOf?: string;
  businessTime?: boolean;
  namespace?: string;
  listNamespaces?: boolean;
  collection?: string;
  id?: string;
  diffWithLive?: boolean;
  drop?: string;
}

/** Registers `readmodel`. */
export function registerReadModelCommands(program: Command, action: Action): void {
  program
    .command('readmodel <projection>')
    .description('show a read model: the served one, one as of a past moment, or a scratch namespace')
    .option('--as-of <position|time>', 'build it as of then, in a temporary namespace dropped afterwards')
    .option('--business-time', 'read an --as-of time as business time (occurred-at)')
    .option(
      '--namespace <ns>',
      'read this namespace (e.g. one left by rebuild --until; see --list-namespaces)',
    )
    .option('--list-namespaces', "list the projection's namespaces: served, being rebuilt, scratch")
    .option('--collection <name>', 'only this collection')
    .option('--id <key>', 'only this document (needs --collection)')
    .option('--diff-with-live', 'compare with the served read model instead of printing documents')
    .option('--drop <ns>', 'drop a namespace of this projection that is not served (e.g. a scratch one)')
    .addHelpText(
      'after',
      '\nScratch namespaces left by `rewind rebuild --until` are named after the point they stop at:\n' +
        '<projection>@v<version>~pos-<position>, ~at-<recorded time> or ~occurred-<business time>.\n' +
        '\nExamples:\n  $ rewind readmodel order-summary --collection orders\n' +
        '  $ rewind readmodel order-summary --as-of 2026-05-01T12:00:00Z --diff-with-live\n' +
        '  $ rewind readmodel order-summary --list-namespaces\n' +
        '  $ rewind readmodel order-summary --namespace order-summary@v1~pos-42\n' +
        '  $ rewind readmodel order-summary --drop order-summary@v1~pos-42',
    )
    .action(
      action(async (ctx, projection: string, opts: ReadModelOptions) => showReadModel(ctx, projection, opts)),
    );
}

async function showReadModel(ctx: CliContext, projection: string, opts: ReadModelOptions): Promise<void> {
  if (opts.id !== undefined && opts.collection === undefined)
    throw new CliError('--id needs --collection <name>.', EXIT.usage);
  if (opts.asOf !== undefined && opts.namespace !== undefined)
    throw new CliError('Give --as-of or --namespace, not both.', EXIT.usage);
  const asOf = opts.asOf === undefined ? undefined : parsePositionOrTime(opts.asOf, '--as-of');
  const engine = await ctx.engine();
  await ctx.projection(projection);
  const store = engine.context.store;
  const served = await store.servedNamespace(projection);
  if (opts.listNamespaces) return listNamespaces(ctx, store, projection);
  if (opts.drop !== undefined) return dropNamespace(ctx, store, projection, opts.drop, served);
  let namespace = opts.namespace ?? served;
  if (opts.namespace !== undefined) await requireNamespace(store, projection, opts.namespace);
  let temporary: string | undefined;
  try {
    if (asOf !== undefined) {
      const result = await rebuildWithProgress(ctx, projection, {
        ...pastPoint(asOf, opts.businessTime),
        temporary: true,
      });
      namespace = temporary = result.namespace;
    }
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
    await printDocuments(ctx, store, projection, namespace, opts);
  } finally {
    if (temporary !== undefined) await store.dropNamespace(temporary);
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
): Promise<void> {
  const collections =
    opts.collection !== undefined ? [opts.collection] : await store.listCollections(namespace);
  const result: Record<string, unknown> = {};
  const rows: string[][] = [['COLLECTION', 'KEY', 'DOCUMENT']];
  for (const collection of collections) {
    const reader = store.collection(namespace, collection);
    if (opts.id !== undefined) {
      const doc = await reader.get(opts.id);
      if (doc === undefined)
        throw new CliError(`No document "${opts.id}" in ${collection} of ${namespace}.`, EXIT.notFound);
      result[collection] = { [opts.id]: doc };
      rows.push([collection, opts.id, show(doc)]);
    } else {
      const docs = await reader.find();
      result[collection] = Object.fromEntries(docs.map((d) => [d.key, d.doc]));
      for (const d of docs) rows.push([collection, d.key, show(d.doc)]);
    }
  }
  ctx.out.data({ projection, namespace, collections: result });
  ctx.out.line(ctx.out.colors.dim(`namespace ${namespace}`));
  ctx.out.line(table(rows, ctx.out.colors.bold));
}
