// The body of `rebuild` (registered in rebuildCommands.ts) and the rebuild with progress `readmodel --as-of` shares.
import { serializePosition, type Position } from '@rewind/core';
import { rebuildProjection, type RebuildOptions, type RebuildResult } from '@rewind/projections';
import { createInterface } from 'node:readline/promises';
import { progressReporter } from '../output/progress';
import { CliError, EXIT } from '../util/cliError';
import { parsePositionOrTime } from '../util/parseInput';
import type { CliContext } from '../context';

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  // The question goes to stderr with the progress: stdout carries only the result.
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Runs one rebuild with a progress reporter, and says on stderr when it resumes an interrupted run
 * (its events keep what the code of that run projected: `--fresh` starts over).
 */
export async function rebuildWithProgress(
  ctx: CliContext,
  name: string,
  options: Pick<RebuildOptions, 'until' | 'timeBasis' | 'fresh' | 'temporary'>,
): Promise<RebuildResult> {
  const engine = await ctx.engine();
  const reporter = progressReporter(ctx.out.json);
  const stopListening = engine.on('rebuild-started', (started) => {
    if (started.projection !== name || !started.resumed) return;
    process.stderr.write(
      `${name}: resuming the rebuild in ${started.namespace} from position ${started.from ? serializePosition(started.from) : '-'}` +
        ` (an earlier run stopped there). Run with --fresh to start over, e.g. after fixing a handler.\n`,
    );
  });
  try {
    return await rebuildProjection(engine, name, { ...options, onProgress: (p) => reporter.update(p) });
  } finally {
    stopListening();
    reporter.stop();
  }
}

/** `--until`/`--as-of` and `--business-time` as rebuild options. */
export function pastPoint(
  until: Position | Date | undefined,
  businessTime: boolean | undefined,
): Pick<RebuildOptions, 'until' | 'timeBasis'> {
  return {
    ...(until !== undefined ? { until } : {}),
    ...(businessTime ? { timeBasis: 'occurred' as const } : {}),
  };
}

/** `rewind rebuild`: a rebuild with swap, or one as of a past moment into a scratch namespace. */
export async function rebuild(
  ctx: CliContext,
  names: string[],
  opts: { all?: boolean; until?: string; businessTime?: boolean; fresh?: boolean; yes?: boolean },
): Promise<number | void> {
  if (opts.all === names.length > 0)
    throw new CliError('Name the projections to rebuild, or give --all (not both).', EXIT.usage);
  const until = opts.until === undefined ? undefined : parsePositionOrTime(opts.until, '--until');
  if (opts.all && until !== undefined)
    throw new CliError('--until builds one projection at a time; name it instead of --all.', EXIT.usage);
  const engine = await ctx.engine();
  const targets = opts.all
    ? engine.definitions.filter((d) => d.meta.kind === 'projection').map((d) => d.meta.name)
    : await Promise.all(names.map((n) => ctx.projection(n)));
  if (until === undefined && !opts.yes) {
    const ok = await confirm(`Rebuild ${targets.join(', ')} and swap the served read model when done?`);
    if (!ok) {
      throw new CliError(
        'Rebuild not confirmed. Run again with --yes (required when not on a terminal).',
        EXIT.usage,
      );
    }
  }
  const results: RebuildResult[] = [];
  for (const name of targets)
    results.push(
      await rebuildWithProgress(ctx, name, {
        ...pastPoint(until, opts.businessTime),
        fresh: Boolean(opts.fresh),
      }),
    );
  ctx.out.data({ rebuilt: results });
  for (const r of results) {
    const where = r.scratch
      ? `scratch namespace ${r.namespace}`
      : `${r.namespace} (now served${r.replaced ? `, replaced ${r.replaced}` : ''})`;
    ctx.out.line(
      `${r.projection}: ${r.processed} events in ${(r.durationMs / 1000).toFixed(1)}s into ${where}, position ${r.position ? serializePosition(r.position) : '-'}${r.resumed ? ` (resumed from ${r.resumedFrom ? serializePosition(r.resumedFrom) : 'its checkpoint'})` : ''}.`,
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
}
