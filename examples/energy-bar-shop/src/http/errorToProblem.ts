import type { FastifyError, FastifySchemaValidationError } from 'fastify';
import {
  AggregateNotFoundError,
  AppendOutcomeUnknownError,
  ConcurrencyError,
  DomainError,
  StoreUnavailableError,
  ValidationError,
} from '@rewind/core';
import { NothingToChange, ProductNotOnMenu } from '../menu/menu';
import { PaymentMismatch, ProductUnavailable } from '../order/order';
import {
  plainProblem,
  problem,
  type FieldError,
  type ProblemDetails,
  type ProblemExtensions,
} from './problems';

/** What {@link errorToProblem} needs to know of the request that failed. */
export interface FailedRequest {
  /** The request's path: the problem's `instance`. */
  readonly path: string;
  /** Its id, echoed in the problem so a client can quote it. */
  readonly id: string;
  /** The route's parameters, to tell a refused path parameter from a refused body field. */
  readonly params?: Readonly<Record<string, unknown>>;
}

/** Domain errors that say "this request cannot be processed" rather than "the state conflicts". */
const UNPROCESSABLE = [ProductNotOnMenu, ProductUnavailable, NothingToChange, PaymentMismatch];

/** Fastify's own client errors, by code, as problem types. */
const FASTIFY_PROBLEMS = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['malformed-body', 'The body is not valid JSON.'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed-body', 'The body is empty but its content type says JSON.'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload-too-large', 'The body is larger than this API accepts.'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'unsupported-media-type',
    'This API accepts request bodies as application/json only.',
  ],
} as const;

/**
 * Maps any error a route raised to the problem details the client gets, in one place: route-schema and
 * command validation → 400 `validation-failed` with each field in `errors`; malformed JSON → 400; an
 * unknown aggregate → 404; a business rule → 422 or 409 (with the rule's slug); a concurrent write the
 * command bus could not retry away → 409; too large → 413; wrong media type → 415; an unreachable store
 * → 503; anything else → 500. Rewind's messages are written for developers (they name the call that
 * fixes the problem), so the `detail` of framework errors is written here for clients; the full error
 * goes to the server log. A 5xx never says more than that it happened.
 */
export function errorToProblem(error: unknown, request: FailedRequest): ProblemDetails {
  const base: ProblemExtensions = { requestId: request.id };
  const schemaFailure = error as Partial<Pick<FastifyError, 'validation' | 'validationContext'>>;
  if (Array.isArray(schemaFailure.validation)) {
    const errors = schemaFailure.validation.map((failure) =>
      schemaFieldError(failure, schemaFailure.validationContext ?? 'body'),
    );
    return problem('validation-failed', request.path, describeFields(errors), { ...base, errors });
  }
  if (error instanceof ValidationError) {
    const errors = error.violations.map(({ path, constraints }) => ({
      in: isParam(path, request.params) ? 'params' : 'body',
      path,
      message: Object.values(constraints).join('; '),
    }));
    return problem('validation-failed', request.path, describeFields(errors), { ...base, errors });
  }
  if (error instanceof AggregateNotFoundError) {
    const what = error.aggregateType.toLowerCase();
    return problem('not-found', request.path, `No ${what} with id "${error.aggregateId}".`, base);
  }
  if (error instanceof DomainError) {
    // The shop's own business rules: their messages are written for the people using it.
    const slug = UNPROCESSABLE.some((type) => error instanceof type) ? 'unprocessable-request' : 'conflict';
    return problem(slug, request.path, error.message, { ...base, rule: kebabCase(error.constructor.name) });
  }
  if (error instanceof ConcurrencyError) {
    return problem(
      'concurrent-modification',
      request.path,
      'Another request changed the same resource at the same moment. Read it again, then retry.',
      base,
    );
  }
  if (error instanceof AppendOutcomeUnknownError) {
    return problem(
      'service-unavailable',
      request.path,
      'The request may or may not have been recorded: the event store did not answer in time. Send it ' +
        'again with the same Idempotency-Key header; it is then applied once.',
      base,
    );
  }
  if (error instanceof StoreUnavailableError) {
    return problem(
      'service-unavailable',
      request.path,
      'A store this service depends on cannot be reached. Try again later.',
      base,
    );
  }
  const fastify = error as Partial<FastifyError>;
  const known = fastify.code ? FASTIFY_PROBLEMS[fastify.code as keyof typeof FASTIFY_PROBLEMS] : undefined;
  if (known) return problem(known[0], request.path, known[1], base);
  const status = fastify.statusCode;
  if (fastify.code?.startsWith('FST_') && typeof status === 'number' && status >= 400 && status < 500) {
    return plainProblem(status, request.path, fastify.message ?? 'The request was refused.', base);
  }
  return problem(
    'internal-error',
    request.path,
    'The request failed on the server. Quote its requestId when you report it.',
    base,
  );
}

/** One ajv failure as a field error; the refused value is never echoed (it may be huge). */
function schemaFieldError(failure: FastifySchemaValidationError, where: string): FieldError {
  const segments = failure.instancePath.split('/').filter(Boolean);
  const params = failure.params as { missingProperty?: unknown; additionalProperty?: unknown };
  if (failure.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { in: where, path: [...segments, params.missingProperty].join('.'), message: 'is required' };
  }
  if (failure.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { in: where, path: [...segments, params.additionalProperty].join('.'), message: 'is not allowed' };
  }
  return { in: where, path: segments.join('.'), message: failure.message ?? `fails ${failure.keyword}` };
}

function describeFields(errors: readonly FieldError[]): string {
  const fields = errors.map((e) => (e.path ? `${e.in}.${e.path}` : e.in));
  return `${errors.length === 1 ? 'A field was' : `${errors.length} fields were`} refused: ${fields.join(', ')}.`;
}

function isParam(path: string, params: Readonly<Record<string, unknown>> | undefined): boolean {
  const field = path.split('.')[0] ?? '';
  return params !== undefined && Object.prototype.hasOwnProperty.call(params, field);
}

/** `ProductUnavailable` → `product-unavailable`. */
function kebabCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
