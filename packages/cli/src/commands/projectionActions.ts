// The bodies of `projections ...` and `dead-letters ...` (registered in projectionCommands.ts).
import { serializePosition, type Position } from '@rewind/core';
import type { ProjectionEngine, ProjectionStatus } from '@rewind/projections';
import { table } from '../output/format';
import { CliError, EXIT } from '../util/cliError';
import type { CliContext } from '../context';

const pos = (p: Position | undefined): string => (p ? serializePosition(p) : '-');

/** The id, once checked against the parked letters. @throws CliError (not found) for an unknown id. */
async function knownLetter(engine: ProjectionEngine, id: string): Promise<string> {
  if ((await engine.deadLetters()).some((letter) => letter.id === id)) return id;
  throw new CliError(
    `No dead letter with id "${id}". List them, with their ids, with: rewind dead-letters list.`,
    EXIT.notFound,
  );
}

function statusRows(statuses: readonly ProjectionStatus[]): string[][] {
  return [
    [
      'NAME',
      'KIND',
      'VERSION',
      'STATE',
      'CHECKPOINT',
      'HEAD',
      'BEHIND',
      'LAG',
      'EVENTS/S',
      'DEAD',
      'LAST ERROR',
    ],
    ...statuses.map((s) => [
      s.name,
      s.kind,
      String(s.version),
      s.inline
        ? 'inline'
        : s.paused
          ? 'paused'
          : s.state === 'unknown' && s.lockHolder
            ? `held by ${s.lockHolder}`
            : s.state,
      pos(s.checkpoint),
      pos(s.head),
      s.eventsBehind === undefined ? '?' : String(s.eventsBehind),
      s.behindMs === undefined ? '?' : formatLag(s.behindMs),
      s.eventsPerSecond.toFixed(0),
      String(s.deadLetters),
      s.lastError ?? '',
    ]),
  ];
}

/** A lag in time for a table: `0s`, `850ms`, `12s`, `4m 05s`, `2h 03m`. */
export function formatLag(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** `rewind projections list`: the configured projections and reactors. */
export async function listProjections(ctx: CliContext): Promise<number | void> {
  const engine = await ctx.engine();
  const list = engine.definitions.map((d) => ({
    name: d.meta.name,
    kind: d.meta.kind,
    version: 'version' in d.meta ? d.meta.version : undefined,
  }));
  ctx.out.data({ projections: list });
  ctx.out.line(
    table(
      [['NAME', 'KIND', 'VERSION'], ...list.map((p) => [p.name, p.kind, String(p.version ?? '-')])],
      ctx.out.colors.bold,
    ),
  );
}

/** `rewind projections status [name]`: state, checkpoint, lag and errors. */
export async function status(ctx: CliContext, name: string | undefined): Promise<number | void> {
  const engine = await ctx.engine();
  if (name !== undefined) await ctx.projection(name);
  const statuses = await engine.status(name);
  ctx.out.data({ projections: statuses });
  ctx.out.line(table(statusRows(statuses), ctx.out.colors.bold));
}

/** `rewind projections pause|resume <name>`. */
export async function pauseOrResume(
  verb: 'pause' | 'resume',
  ctx: CliContext,
  name: string,
): Promise<number | void> {
  const engine = await ctx.engine();
  await ctx.projection(name);
  await engine[verb](name);
  ctx.out.data({ projection: name, paused: verb === 'pause' });
  ctx.out.line(
    `${name}: ${verb === 'pause' ? 'paused' : 'resumed'} (runners in every process see it within a second).`,
  );
}

/** `rewind dead-letters list [projection]`. */
export async function listDeadLetters(
  ctx: CliContext,
  projection: string | undefined,
): Promise<number | void> {
  const engine = await ctx.engine();
  if (projection !== undefined) await ctx.projection(projection);
  const list = await engine.deadLetters(projection);
  ctx.out.data({ deadLetters: list });
  if (list.length === 0) return ctx.out.line('No dead letters.');
  ctx.out.line(
    table(
      [
        ['ID', 'PROJECTION', 'EVENT', 'STREAM@REV', 'POSITION', 'ATTEMPTS', 'ERROR'],
        ...list.map((l) => [
          l.id,
          l.projection,
          l.eventType,
          `${l.streamId}@${l.revision}`,
          pos(l.position),
          String(l.attempts),
          l.error,
        ]),
      ],
      ctx.out.colors.bold,
    ),
  );
}

/** `rewind dead-letters retry <id>|--all` (exit 1 when some still fail). */
export async function retryDeadLetters(
  ctx: CliContext,
  id: string | undefined,
  opts: { all?: boolean },
): Promise<number | void> {
  if ((id === undefined) === !opts.all)
    throw new CliError('Give a dead-letter id or --all (not both).', EXIT.usage);
  const engine = await ctx.engine();
  const ids = opts.all ? (await engine.deadLetters()).map((l) => l.id) : [await knownLetter(engine, id!)];
  const retried: string[] = [];
  const failed: Array<{ id: string; error: string }> = [];
  for (const letter of ids) {
    try {
      await engine.retryDeadLetter(letter);
      retried.push(letter);
    } catch (error) {
      if (!opts.all) throw error;
      failed.push({ id: letter, error: (error as Error).message });
    }
  }
  ctx.out.data({ retried, failed });
  ctx.out.line(
    `Retried ${retried.length} dead letter(s)${failed.length ? `; ${failed.length} still fail:` : '.'}`,
  );
  for (const f of failed) ctx.out.line(`  ${f.id}: ${f.error}`);
  return failed.length ? EXIT.failure : EXIT.ok;
}

/** `rewind dead-letters skip <id>`. */
export async function skipDeadLetter(ctx: CliContext, id: string): Promise<number | void> {
  const engine = await ctx.engine();
  await engine.skipDeadLetter(await knownLetter(engine, id));
  ctx.out.data({ skipped: id });
  ctx.out.line(`Skipped ${id}.`);
}
