// The body of `rewind copy` (registered in copyCommands.ts).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { tryParsePosition, type EventStore, type Position } from '@rewind/core';
import { getProcessorMetadata, type RebuildResult } from '@rewind/projections';
import type { CliContext } from '../context';
import { copyLog, CopyConflictError, showPosition, type CopyProgress } from '../copy/copyLog';
import { identityOf, openStoreAt, storeIdentity } from '../copy/openStore';
import { CliError, EXIT } from '../util/cliError';
import { parsePositive } from '../util/parseInput';
import { describeStoreLocation, parseStoreUrl, type StoreLocation } from '../util/storeUrl';
import type { CopyCommandOptions } from './copyCommands';
import { rebuildWithProgress } from './rebuildActions';

/** One side of a copy: a store and how to name it. */
interface Side {
  readonly store: EventStore;
  readonly label: string;
  /** Whether it is the config's event store. */
  readonly configured: boolean;
}

/** `rewind copy`. */
export async function copy(ctx: CliContext, opts: CopyCommandOptions): Promise<number | void> {
  if (opts.from === undefined && opts.to === undefined) {
    throw new CliError(
      "Give --to <store> (copy the config's event store there) or --from <store> (copy it into the config's).",
      EXIT.usage,
    );
  }
  const from = opts.from === undefined ? undefined : parseStoreUrl(opts.from, '--from');
  const to = opts.to === undefined ? undefined : parseStoreUrl(opts.to, '--to');
  const after = opts.after === undefined ? undefined : parseAfter(opts.after);
  const batchSize = parsePositive(opts.batchSize, '--batch-size');
  if (from?.kind === 'sqlite' && !existsSync(from.path))
    throw new CliError(`--from ${describeStoreLocation(from)}: no such file.`, EXIT.notFound);
  if (from && to && identityOf(from) === identityOf(to)) throw itself(describeStoreLocation(from));

  const configLabel = `the event store of ${basename(ctx.configPath)}`;
  const configured = !from || !to ? await ctx.configuredEventStore() : undefined;
  const configuredId = configured && storeIdentity(configured);
  for (const location of [from, to]) {
    if (location && configuredId !== undefined && identityOf(location) === configuredId)
      throw itself(`${describeStoreLocation(location)} (${configLabel})`);
  }
  const side = async (location: StoreLocation | undefined): Promise<Side> =>
    location
      ? {
          store: ctx.own(await openStoreAt(location, ctx.configPath)),
          label: describeStoreLocation(location),
          configured: false,
        }
      : { store: configured!, label: configLabel, configured: true };
  const source = await side(from);
  const target = await side(to);

  const names = processorNames(ctx);
  if (opts.rebuild && !ctx.config.readModelStore) {
    throw new CliError(
      `--rebuild rebuilds into the read-model store of ${ctx.configPath}, which has none. Add readModelStore, or leave --rebuild out.`,
      EXIT.config,
    );
  }

  const reporter = copyReporter(ctx.out.json, source.label, target.label);
  let result;
  try {
    result = await copyLog(source.store, target.store, {
      ...(after ? { after } : {}),
      batchSize,
      onProgress: (p) => reporter.update(p),
    });
  } catch (error) {
    if (error instanceof CopyConflictError) {
      throw new CliError(
        `${error.message} ${
          error.lastPosition
            ? `The events up to source position ${showPosition(error.lastPosition)} are in the target.`
            : 'Nothing was copied.'
        }`,
        EXIT.failure,
        { cause: error },
      );
    }
    if (!ctx.out.json) {
      const last = reporter.last();
      process.stderr.write(
        `copy: stopped after source position ${showPosition(last?.position)}; run the same command again to go on ` +
          `(events already copied are skipped)${last?.position ? `, or add --after ${showPosition(last.position)}` : ''}.\n`,
      );
    }
    throw error;
  }
  reporter.finish();

  // A fresh rebuild: a checkpoint of an interrupted one is a position in the old store.
  const rebuilt: RebuildResult[] = [];
  if (opts.rebuild && names.projections.length > 0) {
    if (!target.configured) ctx.useEventStore(target.store);
    for (const name of names.projections) rebuilt.push(await rebuildWithProgress(ctx, name, { fresh: true }));
  }

  ctx.out.data({
    copied: {
      from: source.label,
      to: target.label,
      events: result.events,
      written: result.written,
      alreadyThere: result.alreadyThere,
      streams: result.streams,
      lastPosition: result.position,
      durationMs: result.durationMs,
    },
    projectionsToRebuild: opts.rebuild ? [] : names.projections,
    reactors: names.reactors,
    rebuilt,
  });
  const s = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  ctx.out.line(
    `Copied ${s(result.events, 'event')} of ${s(result.streams, 'stream')} from ${source.label} to ${target.label} ` +
      `in ${(result.durationMs / 1000).toFixed(1)}s: ${result.written} written, ${result.alreadyThere} already there.`,
  );
  ctx.out.line(
    result.position
      ? `Last copied source position: ${showPosition(result.position)} (resume after it with --after ${showPosition(result.position)}).`
      : 'The source log is empty: nothing to copy.',
  );
  ctx.out.line(
    "Streams, revisions, event ids, types, data and metadata are the source's; recorded times and global " +
      "positions are the target's own.",
  );
  if (opts.rebuild) {
    for (const r of rebuilt)
      ctx.out.line(
        `Rebuilt ${r.projection} against ${target.label}: ${r.processed} events into ${r.namespace}.`,
      );
    if (!target.configured)
      ctx.out.line(
        `The read models of ${basename(ctx.configPath)} now follow ${target.label}: point its eventStore (and your application) there.`,
      );
  } else if (names.projections.length > 0) {
    ctx.out.line(
      `Read models: positions differ between the stores, so rebuild every projection against ${target.label}` +
        `${target.configured ? '' : ` (after pointing the eventStore of ${basename(ctx.configPath)} there)`}:`,
    );
    for (const name of names.projections) ctx.out.line(`  rewind rebuild ${name} --yes`);
    ctx.out.line('(or run this copy with --rebuild).');
  }
  if (names.reactors.length > 0)
    ctx.out.line(
      `Reactors keep checkpoints that are positions in the old store: ${names.reactors.join(', ')}. ` +
        'Do not run them on the new store with those checkpoints (they would react again, or miss events).',
    );
}

function parseAfter(text: string): Position {
  const position = tryParsePosition(text);
  if (!position)
    throw new CliError(
      `--after "${text}" is not a log position. Use e.g. --after 1200 (or 1200/1180 on EventStoreDB), as printed by a copy.`,
      EXIT.usage,
    );
  return position;
}

function itself(what: string): CliError {
  return new CliError(`Source and target are the same store: ${what}. Copy to another store.`, EXIT.usage);
}

/** The names of the config's projections and reactors, read from their decorators (no store opened). */
function processorNames(ctx: CliContext): { projections: string[]; reactors: string[] } {
  const projections: string[] = [];
  const reactors: string[] = [];
  for (const processor of ctx.config.projections ?? []) {
    const meta = getProcessorMetadata(processor);
    if (!meta) continue;
    (meta.kind === 'projection' ? projections : reactors).push(meta.name);
  }
  return { projections, reactors };
}

/** Progress lines on stderr (at most one a second), nothing under --json; remembers the last. */
function copyReporter(json: boolean, from: string, to: string) {
  let last: CopyProgress | undefined;
  let shown = 0;
  let announced = false;
  return {
    update(p: CopyProgress): void {
      last = p;
      if (json) return;
      if (!announced) {
        process.stderr.write(`copy: ${from} -> ${to}\n`);
        announced = true;
      }
      const now = Date.now();
      if (now - shown < 1000) return;
      shown = now;
      process.stderr.write(
        `copy: ${p.events} events (${p.written} written, ${p.alreadyThere} already there), ` +
          `${Math.round(p.eventsPerSecond)} events/s, source position ${showPosition(p.position)}\n`,
      );
    },
    finish(): void {
      if (!json && last)
        process.stderr.write(
          `copy: ${last.events} events (${last.written} written, ${last.alreadyThere} already there), ` +
            `source position ${showPosition(last.position)}, done\n`,
        );
    },
    last: () => last,
  };
}
