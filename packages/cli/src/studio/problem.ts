import type { FastifyReply } from 'fastify';
import { describeFailure } from '../program';
import { EXIT } from '../util/cliError';

/** The JSON body of every failed Rewind Studio API request (RFC 9457 problem details). */
export interface StudioProblem {
  readonly type: 'about:blank';
  readonly title: string;
  readonly status: number;
  /** What went wrong and how to fix it: the message the CLI would print. */
  readonly detail: string;
}

/** Sends a problem document with `status`. */
export function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail: string,
): FastifyReply {
  const body: StudioProblem = { type: 'about:blank', title, status, detail };
  return reply.code(status).type('application/problem+json; charset=utf-8').send(JSON.stringify(body));
}

const STATUS: Record<number, [number, string]> = {
  [EXIT.usage]: [400, 'Bad request'],
  [EXIT.notFound]: [404, 'Not found'],
  [EXIT.config]: [500, 'Configuration problem'],
  [EXIT.unavailable]: [503, 'Store unavailable'],
};

/** Maps a failure to a problem, the way the CLI maps it to a message and an exit code. */
export function sendFailure(reply: FastifyReply, error: unknown): FastifyReply {
  const { message, exitCode } = describeFailure(error);
  const [status, title] = STATUS[exitCode] ?? [500, 'Failed'];
  return sendProblem(reply, status, title, message);
}
