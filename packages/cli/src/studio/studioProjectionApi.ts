// The read-model side of the Rewind Studio API: projections, documents, the read model as of the past
// with its diff, dead letters, and the writes (refused unless `rewind studio --allow-writes`).
import { diffNamespaces, rebuildProjection } from '@rewind/projections';
import type { FastifyInstance } from 'fastify';
import { withReadModelAsOf } from '../commands/readModelActions';
import { CliError, EXIT } from '../util/cliError';
import { parseNonNegative, parsePositionOrTime } from '../util/parseInput';
import { sendProblem } from './problem';
import type { StudioApiOptions } from './studioApi';
import { json, pageSize, type Handler } from './studioRoute';

/** Registers the `/api/projections` and `/api/dead-letters` routes. */
export function registerProjectionApi(app: FastifyInstance, options: StudioApiOptions): void {
  const { ctx } = options;
  const engine = () => ctx.engine();
  // One past read model at a time: each is a rebuild into a temporary namespace.
  let building: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = building.then(work, work);
    building = next.catch(() => undefined);
    return next;
  };

  // `rewind projections status`: state, checkpoint, head, lag, dead letters, last error.
  app.get(
    '/api/projections',
    json(async () => ({ projections: await (await engine()).status() })),
  );

  // The served namespace of a projection and its collections.
  app.get(
    '/api/projections/:name',
    json(async ({ params }) => {
      const name = await ctx.projection(params.name!);
      const store = (await engine()).context.store;
      const namespace = await store.servedNamespace(name);
      const [status] = await (await engine()).status(name);
      return {
        projection: name,
        namespace,
        status,
        collections: namespace === undefined ? [] : await store.listCollections(namespace),
      };
    }),
  );

  // `rewind readmodel --collection`: a page of a served collection's documents.
  app.get(
    '/api/projections/:name/collections/:collection',
    json(async ({ params, query }) => {
      const name = await ctx.projection(params.name!);
      const store = (await engine()).context.store;
      const namespace = await store.servedNamespace(name);
      if (namespace === undefined) throw new CliError(`${name} has no built read model yet.`, EXIT.notFound);
      const limit = pageSize(query.limit, 50, 500);
      const offset = query.offset === undefined ? 0 : Number(parseNonNegative(query.offset, 'offset'));
      const found = await store
        .collection(namespace, params.collection!)
        .find({}, { limit: offset + limit + 1 });
      return {
        projection: name,
        namespace,
        collection: params.collection,
        offset,
        documents: found.slice(offset, offset + limit),
        more: found.length > offset + limit,
      };
    }),
  );

  // `rewind readmodel --as-of <position|time> [--diff-with-live]`: the read model then, and its diff
  // with the live one.
  app.get(
    '/api/projections/:name/as-of',
    json(async ({ params, query }) => {
      const name = await ctx.projection(params.name!);
      if (query.at === undefined)
        throw new CliError('Give at=<position or ISO time>, e.g. at=2026-05-01T12:00:00Z.', EXIT.usage);
      const asOf = parsePositionOrTime(query.at, 'at');
      const limit = pageSize(query.limit, 100, 1000);
      const store = (await engine()).context.store;
      const served = await store.servedNamespace(name);
      return oneAtATime(() =>
        withReadModelAsOf(ctx, name, { asOf, businessTime: query.businessTime === 'true' }, async (ns) => {
          const collections: Record<string, unknown> = {};
          for (const collection of await store.listCollections(ns))
            collections[collection] = await store.collection(ns, collection).find({}, { limit });
          return {
            projection: name,
            asOf,
            live: served,
            collections,
            diff: served === undefined ? undefined : await diffNamespaces(store, ns, served),
          };
        }),
      );
    }),
  );

  // `rewind dead-letters list`.
  app.get(
    '/api/dead-letters',
    json(async ({ query }) => {
      if (query.projection !== undefined) await ctx.projection(query.projection);
      return { deadLetters: await (await engine()).deadLetters(query.projection) };
    }),
  );

  const write = (handler: Handler): ReturnType<typeof json> => {
    const body = json(handler);
    return async (request, reply) => {
      if (!options.allowWrites)
        return sendProblem(
          reply,
          403,
          'Read-only',
          'Rewind Studio was started read-only. Restart it with `rewind studio --allow-writes` to pause, resume, retry, skip or rebuild.',
        );
      return body(request, reply);
    };
  };

  for (const verb of ['pause', 'resume'] as const) {
    app.post(
      `/api/projections/:name/${verb}`,
      write(async ({ params }) => {
        const name = await ctx.projection(params.name!);
        await (await engine())[verb](name);
        return { projection: name, paused: verb === 'pause' };
      }),
    );
  }

  // `rewind rebuild <name> --yes`: a full rebuild, swapped in when done.
  app.post(
    '/api/projections/:name/rebuild',
    write(async ({ params }) => {
      const name = await ctx.projection(params.name!);
      return { rebuilt: await oneAtATime(async () => rebuildProjection(await engine(), name)) };
    }),
  );

  // `rewind dead-letters retry <id>` / `skip <id>`.
  for (const verb of ['retry', 'skip'] as const) {
    app.post(
      `/api/dead-letters/:id/${verb}`,
      write(async ({ params }) => {
        const e = await engine();
        const id = params.id!;
        if (!(await e.deadLetters()).some((l) => l.id === id))
          throw new CliError(`No dead letter with id "${id}".`, EXIT.notFound);
        if (verb === 'retry') await e.retryDeadLetter(id);
        else await e.skipDeadLetter(id);
        return verb === 'retry' ? { retried: id } : { skipped: id };
      }),
    );
  }
}
