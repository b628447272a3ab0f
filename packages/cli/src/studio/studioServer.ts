import { randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { CliContext } from '../context';
import { registerStudioApi } from './studioApi';
import { LiveLog } from './liveLog';
import { sendProblem } from './problem';

/** Where the page's files live: `studio/` at the package's root (next to `dist/` and `src/`). */
export const STUDIO_ASSETS = join(__dirname, '..', '..', 'studio');

/** The cookie the first page load sets, so the page's own requests (and its EventSource) carry the token. */
export const TOKEN_COOKIE = 'rewind_studio_token';

/** How Rewind Studio is started. */
export interface StudioOptions {
  /** The CLI context over the config (its stores are opened on start and closed by the caller). */
  readonly ctx: CliContext;
  /** Interface to bind to. Default `127.0.0.1`: only this machine can connect. */
  readonly host?: string;
  /** Port to listen on; `0` (the default) picks a free one. */
  readonly port?: number;
  /** Allow the requests that change state (pause, resume, retry, skip, rebuild). Default false. */
  readonly allowWrites?: boolean;
  /** The access token; a random one when left out. */
  readonly token?: string;
}

/** A running Rewind Studio. */
export interface RunningStudio {
  /** The URL to open, token included: `http://127.0.0.1:PORT/?token=...`. */
  readonly url: string;
  readonly token: string;
  readonly port: number;
  readonly app: FastifyInstance;
  /** Stops the server and ends the live streams (the context is the caller's to close). */
  close(): Promise<void>;
}

/**
 * Builds the Fastify instance behind Rewind Studio: the page and its assets (served from this package,
 * no network needed) and the JSON API under `/api`, guarded by `token`.
 * @throws Error from the stores when they cannot be opened.
 */
export async function buildStudioApp(options: StudioOptions & { token: string }): Promise<FastifyInstance> {
  const { ctx, token } = options;
  const allowWrites = Boolean(options.allowWrites);
  // Opened once, before any request: the context opens its stores lazily and must not do it twice.
  await ctx.rewind();
  if (ctx.config.readModelStore) await ctx.engine();
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const live = new LiveLog(await ctx.configuredEventStore());
  app.addHook('preClose', async () => live.close());
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    );
    return payload;
  });
  const authorized = (request: FastifyRequest): boolean => {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice(7) : cookie(request, TOKEN_COOKIE);
    return given !== undefined && sameToken(given, token);
  };
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/') && request.url !== '/api') return;
    if (!authorized(request))
      return sendProblem(
        reply,
        401,
        'Missing or wrong token',
        'Open Rewind Studio through the URL `rewind studio` printed (it carries ?token=...), or send the header Authorization: Bearer <token>.',
      );
  });
  await app.register(fastifyStatic, { root: STUDIO_ASSETS, prefix: '/assets/', index: false });
  app.get('/', async (request: FastifyRequest<{ Querystring: { token?: string } }>, reply: FastifyReply) => {
    const given = request.query.token;
    if (given !== undefined) {
      if (!sameToken(given, token)) return sendDenied(reply);
      // The token leaves the address bar (and the history) for a cookie only this origin's page sends.
      reply.header('set-cookie', `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`);
      return reply.redirect('/', 303);
    }
    if (!authorized(request)) return sendDenied(reply);
    reply.header('cache-control', 'no-store');
    return reply.sendFile('index.html');
  });
  registerStudioApi(app, { ctx, allowWrites, live });
  return app;
}

/**
 * Starts Rewind Studio: builds the app ({@link buildStudioApp}) and listens, on 127.0.0.1 by default.
 * @throws Error when the port is taken or the stores cannot be opened.
 * @example
 * const studio = await startStudio({ ctx, port: 4321 });
 * console.log(`Rewind Studio: ${studio.url}`);
 */
export async function startStudio(options: StudioOptions): Promise<RunningStudio> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  const app = await buildStudioApp({ ...options, token });
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    token,
    port,
    app,
    close: () => app.close(),
  };
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sendDenied(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .type('text/html; charset=utf-8')
    .send(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rewind Studio: token needed</title></head>' +
        '<body><main><h1>Rewind Studio needs its token</h1><p>Open the URL that <code>rewind studio</code> printed ' +
        'when it started: it ends with <code>?token=...</code>.</p></main></body></html>',
    );
}
