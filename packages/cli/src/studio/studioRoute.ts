import type { FastifyReply, FastifyRequest } from 'fastify';
import { toPlain } from '../output/format';
import { parsePositive } from '../util/parseInput';
import { sendFailure } from './problem';

/** Query strings, as Fastify parses them. */
export type Query = Record<string, string | undefined>;

/** A route body: its result is sent as JSON (bigints, dates and positions made plain). */
export type Handler = (request: FastifyRequest<{ Params: Query; Querystring: Query }>) => Promise<unknown>;

/** Wraps a route body: JSON out, failures as problem documents with the CLI's message. */
export function json(handler: Handler) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    try {
      const result = await handler(request as FastifyRequest<{ Params: Query; Querystring: Query }>);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(toPlain(result)));
    } catch (error) {
      return sendFailure(reply, error);
    }
  };
}

/** A page size from `?limit=`, at most `max`. */
export function pageSize(text: string | undefined, fallback: number, max: number): number {
  return Math.min(text === undefined ? fallback : parsePositive(text, 'limit'), max);
}
