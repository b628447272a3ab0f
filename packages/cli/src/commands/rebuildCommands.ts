import { serializePosition, type Position } from '@rewind/core';
import { diffNamespaces, rebuildProjection, type RebuildResult } from '@rewind/projections';
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { formatChanges, show, table, type StateChange } from '../output/format';
import { progressReporter } from '../output/progress';
import { CliError, EXIT } from '../util/cliError';
import { parsePositionOrTime } from '../util/parseInput';
import type { Action } from './action';
import type { CliContext } from '../context';

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function rebuildWithProgress(
  ctx: CliContext,
  name: string,
  until: Position | Date | undefined,
  businessTime: boolean,
): Promise<RebuildResult> {
  const engine = await ctx.engine();
  const reporter = progressReporter(ctx.out.json);
  try {
    return await rebuildProjection(engine, name, {
      onProgress: (p) => reporter.update(p),
      ...(until !== undefined ? { until } : {}),
      ...(businessTime ? { timeBasis: 'occurred' as const } : {}),
    });
  } finally {
    reporter.stop();
  }
}

/** Registers `rebuild` and `readmodel`. */
export function registerRebuildCommands(program: Command, action: Action): void {
  program
    .command('rebuild [projections...]')
    .description('rebuild read models from the log with no downtime, or as of a past moment with --until')
    .option('--all', 'rebuild every projection')
    .option('--until <position|time>', 'build the read model as it was then into a scratch namespace')
    .option('--business-time', 'read an --until time as business time (occurred-at)')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind rebuild order-summary --yes\n  $ rewind rebuild --all --yes\n  $ rewind rebuild order-summary --until 2026-05-01T12:00:00Z',
    )
    .action(
      action(
        async (
          ctx,
          names: string[],
          opts: { all?: boolean; until?: string; businessTime?: boolean; yes?: boolean },
        ) => {
          if (opts.all === names.length > 0)
            throw new CliError('Name the projections to rebuild, or give --all (not both).', EXIT.usage);
          const until = opts.until === undefined ? undefined : parsePositionOrTime(opts.until, '--until');
          if (opts.all && until !== undefined)
            throw new CliError(
              '--until builds one projection at a time; name it instead of --all.',
              EXIT.usage,
            );
          const engine = await ctx.engine();
          const targets = opts.all
            ? engine.definitions.filter((d) => d.meta.kind === 'projection').map((d) => d.meta.name)
            : await Promise.all(names.map((n) => ctx.projection(n)));
          if (until === undefined && !opts.yes) {
            const ok = await confirm(
              `Rebuild ${targets.join(', ')} and swap the served read model when done?`,
            );
            if (!ok) {
              throw new CliError(
                'Rebuild not confirmed. Run again with --yes (required when not on a terminal).',
                EXIT.usage,
              );
            }
          }
          const results: RebuildResult[] = [];
          for (const name of targets)
            results.push(await rebuildWithProgress(ctx, name, until, Boolean(opts.businessTime)));
          ctx.out.data({ rebuilt: results });
          for (const r of results) {
            const where = r.scratch
              ? `scratch namespace ${r.namespace}`
              : `${r.namespace} (now served${r.replaced ? `, replaced ${r.replaced}` : ''})`;
            ctx.out.line(
              `${r.projection}: ${r.processed} events in ${(r.durationMs / 1000).toFixed(1)}s into ${where}, position ${r.position ? serializePosition(r.position) : '-'}${r.resumed ? ' (resumed)' : ''}.`,
            );
            if (r.scratch) {
              ctx.out.line(
                `  Query it:  rewind readmodel ${r.projection} --namespace ${r.namespace} [--collection c] [--id k]`,
              );
              ctx.out.line(
                `  Compare:   rewind readmodel ${r.projection} --namespace ${r.namespace} --diff-with-live`,
              );
              ctx.out.line(`  Drop it:   rewind readmodel ${r.projection} --drop ${r.namespace}`);
            }
          }
        },
      ),
    );

  program
    .command('readmodel <projection>')
    .description('show a read model: the served one, one as of a past moment, or a scratch namespace')
    .option('--as-of <position|time>', 'build it as of then (scratch namespace, dropped afterwards)')
    .option('--business-time', 'read an --as-of time as business time (occurred-at)')
    .option('--namespace <ns>', 'read this namespace (e.g. one left by rebuild --until)')
    .option('--collection <name>', 'only this collection')
    .option('--id <key>', 'only this document (needs --collection)')
    .option('--diff-with-live', 'compare with the served read model instead of printing documents')
    .option('--drop <ns>', 'drop a scratch namespace left by rebuild --until')
    .addHelpText(
      'after',
      '\nExamples:\n  $ rewind readmodel order-summary --collection orders\n  $ rewind readmodel order-summary --as-of 2026-05-01T12:00:00Z --diff-with-live\n  $ rewind readmodel order-summary --drop order-summary@v1~until-42',
    )
    .action(
      action(
        async (
          ctx,
          projection: string,
          opts: {
            asOf?: string;
            businessTime?: boolean;
            namespace?: string;
            collection?: string;
            id?: string;
            diffWithLive?: boolean;
            drop?: string;
          },
        ) => {
          if (opts.id !== undefined && opts.collection === undefined)
            throw new CliError('--id needs --collection <name>.', EXIT.usage);
          if (opts.asOf !== undefined && opts.namespace !== undefined)
            throw new CliError('Give --as-of or --namespace, not both.', EXIT.usage);
          const asOf = opts.asOf === undefined ? undefined : parsePositionOrTime(opts.asOf, '--as-of');
          const engine = await ctx.engine();
          await ctx.projection(projection);
          const store = engine.context.store;
          const served = await store.servedNamespace(projection);
          if (opts.drop !== undefined) {
            if (opts.drop === served)
              throw new CliError(
                `${opts.drop} is the served namespace of ${projection}; it cannot be dropped.`,
                EXIT.usage,
              );
            await store.dropNamespace(opts.drop);
            ctx.out.data({ dropped: opts.drop });
            return ctx.out.line(`Dropped ${opts.drop}.`);
          }
          let namespace = opts.namespace ?? served;
          let scratch: string | undefined;
          try {
            if (asOf !== undefined) {
              const result = await rebuildWithProgress(ctx, projection, asOf, Boolean(opts.businessTime));
              namespace = scratch = result.namespace;
            }
            if (namespace === undefined)
              throw new CliError(
                `${projection} has no built read model yet. Start your projection runner or run: rewind rebuild ${projection} --yes`,
                EXIT.notFound,
              );
            if (opts.diffWithLive) {
              if (served === undefined)
                throw new CliError(`${projection} has no served read model to compare with.`, EXIT.notFound);
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
              return;
            }
            const collections =
              opts.collection !== undefined ? [opts.collection] : await store.listCollections(namespace);
            const result: Record<string, unknown> = {};
            const rows: string[][] = [['COLLECTION', 'KEY', 'DOCUMENT']];
            for (const collection of collections) {
              const reader = store.collection(namespace, collection);
              if (opts.id !== undefined) {
                const doc = await reader.get(opts.id);
                if (doc === undefined)
                  throw new CliError(
                    `No document "${opts.id}" in ${collection} of ${namespace}.`,
                    EXIT.notFound,
                  );
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
          } finally {
            if (scratch !== undefined) await store.dropNamespace(scratch);
          }
        },
      ),
    );
}
