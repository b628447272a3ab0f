// The JSON API behind Rewind Studio (documented in docs/guides/studio.md). Every route computes what
// the matching CLI command computes, through the same functions.
import { parsePosition, readAllInPages } from '@rewind/core';
import type { FastifyInstance } from 'fastify';
import { firstHolding, historyEntries, stateAt, statePredicate } from '../commands/aggregateActions';
import type { CliContext } from '../context';
import { CliError, EXIT } from '../util/cliError';
import { parseNonNegative, parseTime } from '../util/parseInput';
import { causationChain } from './causationChain';
import type { LiveLog } from './liveLog';
import { sendFailure } from './problem';
import { json, pageSize } from './studioRoute';
import { registerProjectionApi } from './studioProjectionApi';
import { eventRow, timelineRow } from './studioViews';

/** What the API routes need. */
export interface StudioApiOptions {
  readonly ctx: CliContext;
  readonly allowWrites: boolean;
  readonly live: LiveLog;
}

/** Registers every `/api` route on `app`. */
export function registerStudioApi(app: FastifyInstance, options: StudioApiOptions): void {
  const { ctx } = options;

  app.get(
    '/api/info',
    json(async () => {
      const rewind = await ctx.rewind();
      const engine = ctx.config.readModelStore ? await ctx.engine() : undefined;
      return {
        config: ctx.configPath,
        allowWrites: options.allowWrites,
        aggregates: [...rewind.aggregates.keys()],
        projections: engine ? engine.definitions.map((d) => ({ name: d.meta.name, kind: d.meta.kind })) : [],
        predicates: Object.keys(ctx.config.predicates ?? {}),
        head: await rewind.eventStore.headPosition(),
      };
    }),
  );

  // `rewind streams list`, a page at a time: by prefix or aggregate type, after a cursor (a stream id).
  app.get(
    '/api/streams',
    json(async ({ query }) => {
      const limit = pageSize(query.limit, 50, 500);
      if (query.aggregate !== undefined) await ctx.aggregate(query.aggregate);
      // With an aggregate type, a prefix is one of its stream ids (`order-10`) or of its ids (`10`).
      const category = query.aggregate !== undefined ? `${query.aggregate}-` : '';
      const prefix = query.prefix ?? '';
      const search = prefix.startsWith(category) ? prefix : `${category}${prefix}`;
      const cursor = query.cursor;
      const { eventStore } = await ctx.rewind();
      const streams: Array<{ streamId: string; revision: bigint; events: bigint }> = [];
      let more = false;
      // The page after the cursor: what the store lists after that stream (SQLite and PostgreSQL list by
      // id, EventStoreDB in log order), so the cursor works whatever the order.
      let passed = cursor === undefined;
      for await (const info of eventStore.listStreams(search ? { prefix: search } : {})) {
        if (!passed) {
          passed = info.streamId === cursor;
          continue;
        }
        if (streams.length === limit) {
          more = true;
          break;
        }
        streams.push({ streamId: info.streamId, revision: info.revision, events: info.revision + 1n });
      }
      return { streams, nextCursor: more ? streams[streams.length - 1]!.streamId : undefined };
    }),
  );

  // `rewind streams read`: a page of one stream's stored events.
  app.get(
    '/api/streams/:stream/events',
    json(async ({ params, query }) => {
      const from = query.from === undefined ? 0n : parseNonNegative(query.from, 'from');
      const limit = pageSize(query.limit, 50, 500);
      const { eventStore } = await ctx.rewind();
      const events = [];
      for await (const e of eventStore.readStream(params.stream!, { fromRevision: from, maxCount: limit })) {
        events.push(eventRow(e));
        if (events.length >= limit) break;
      }
      return { stream: params.stream, events };
    }),
  );

  // `rewind history`, a page of revisions at a time, with the stream's last revision.
  app.get(
    '/api/aggregates/:aggregate/:id/timeline',
    json(async ({ params, query }) => {
      const { aggregate, id } = params as { aggregate: string; id: string };
      const from = query.from === undefined ? 0n : parseNonNegative(query.from, 'from');
      const limit = pageSize(query.limit, 50, 500);
      const type = await ctx.aggregate(aggregate);
      const { eventStore, repository } = await ctx.rewind();
      const streamId = repository.streamId(type, id);
      let last: bigint | undefined;
      try {
        for await (const e of eventStore.readStream(streamId, { direction: 'backwards', maxCount: 1 }))
          last = e.revision;
      } catch {
        // no such stream: history() below names it
      }
      const events = [];
      for await (const entry of historyEntries(ctx, aggregate, id, { from, to: from + BigInt(limit) - 1n }))
        events.push(timelineRow(entry));
      return { aggregate, id, streamId, lastRevision: last, from, events };
    }),
  );

  // `rewind travel`: the state after a revision, or at a recorded / business time.
  app.get(
    '/api/aggregates/:aggregate/:id/state',
    json(async ({ params, query }) => {
      const { aggregate, id } = params as { aggregate: string; id: string };
      if (query.revision !== undefined && query.at !== undefined)
        throw new CliError('Give either revision or at, not both.', EXIT.usage);
      const revision =
        query.revision === undefined ? undefined : parseNonNegative(query.revision, 'revision');
      const at = query.at === undefined ? undefined : parseTime(query.at, 'at');
      const { loaded, state } = await stateAt(ctx, aggregate, id, {
        revision,
        at,
        businessTime: query.businessTime === 'true',
      });
      return { aggregate, id, revision: loaded.revision, state };
    }),
  );

  // `rewind bisect`: the first revision where an expression (or a named predicate) holds.
  app.get(
    '/api/aggregates/:aggregate/:id/bisect',
    json(async ({ params, query }) => {
      const { aggregate, id } = params as { aggregate: string; id: string };
      const test = statePredicate(ctx, { where: query.where, predicate: query.predicate });
      const found = await firstHolding(ctx, aggregate, id, test);
      const condition = query.where ?? `predicate ${query.predicate}`;
      if (!found) return { aggregate, id, condition, found: false };
      return { aggregate, id, condition, found: true, ...timelineRow(found), state: found.state };
    }),
  );

  // The causation chain of one event, by stream and revision.
  app.get(
    '/api/streams/:stream/events/:revision/causation',
    json(async ({ params }) => {
      const revision = parseNonNegative(params.revision!, 'revision');
      const { eventStore } = await ctx.rewind();
      const chain = await causationChain(eventStore, params.stream!, revision);
      return {
        correlationId: chain.correlationId,
        truncated: chain.truncated,
        events: chain.links.map((l) => ({
          ...eventRow(l.event),
          parentId: l.parentId,
          depth: l.depth,
          role: l.role,
        })),
      };
    }),
  );

  // The newest events of the whole log (the live page's first rows), newest first.
  app.get(
    '/api/log',
    json(async ({ query }) => {
      const limit = pageSize(query.limit, 20, 200);
      const { eventStore } = await ctx.rewind();
      const before = query.before === undefined ? undefined : parsePosition(query.before);
      const events = [];
      for await (const page of readAllInPages(
        eventStore,
        { direction: 'backwards', maxCount: limit, ...(before ? { before } : {}) },
        limit,
      ))
        for (const e of page) events.push(eventRow(e));
      return { events: events.slice(0, limit) };
    }),
  );

  // The live log: Server-Sent Events, one `append` message per new event.
  app.get('/api/live', async (request, reply) => {
    const lastId = request.headers['last-event-id'];
    let after;
    try {
      after = typeof lastId === 'string' && lastId !== '' ? parsePosition(lastId) : undefined;
    } catch (error) {
      return sendFailure(reply, error);
    }
    reply.hijack();
    await options.live.attach(reply.raw, after);
  });

  registerProjectionApi(app, options);
}
