import {
  AggregateNotFoundError,
  ConcurrencyError,
  DomainError,
  ValidationError,
  type FieldViolation,
} from '@rewind/core';
import { NothingToChange, ProductNotOnMenu } from '../menu/menu';
import { PaymentMismatch, ProductUnavailable } from '../order/order';

/** The JSON body of every error the API returns. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
  /** Each rejected field with its failed constraints (validation errors only). */
  readonly violations?: readonly FieldViolation[];
}

/** Domain errors that say "this request cannot be processed" rather than "the state conflicts". */
const UNPROCESSABLE = [ProductNotOnMenu, ProductUnavailable, NothingToChange, PaymentMismatch];

/** An error of Fastify's route-schema validation, as far as this mapping reads it. */
interface SchemaValidationError {
  readonly validation: ReadonlyArray<{
    readonly instancePath: string;
    readonly keyword: string;
    readonly message?: string;
    readonly params?: { readonly limit?: number };
  }>;
}

function isSchemaValidationError(error: unknown): error is SchemaValidationError {
  return Array.isArray((error as { validation?: unknown } | null)?.validation);
}

/** A route-schema failure as the violations a ValidationError lists (never echoing the huge value). */
function schemaViolations(error: SchemaValidationError): FieldViolation[] {
  return error.validation.map(({ instancePath, keyword, message, params }) => {
    const path = instancePath.split('/').filter(Boolean).join('.') || '(root)';
    const text =
      keyword === 'maxItems' ? `${path} must contain at most ${params?.limit} items` : `${path} ${message}`;
    return { path, constraints: { [keyword]: text } };
  });
}

/**
 * Maps an error to an HTTP status and body, in one place: validation → 400 with the field details
 * (from the command bus, or from a route schema that refused the body before it got there),
 * unknown aggregate → 404, domain rule → 422 (unprocessable input) or 409 (conflicting state),
 * concurrency after the bus's retries → 409, fastify's own client errors as they are, the rest → 500.
 */
export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: { error: 'validation', message: error.message, violations: error.violations },
    };
  }
  if (isSchemaValidationError(error)) {
    const violations = schemaViolations(error);
    return {
      status: 400,
      body: {
        error: 'validation',
        message: `Invalid request body: ${violations.map((v) => Object.values(v.constraints).join('; ')).join(' | ')}.`,
        violations,
      },
    };
  }
  if (error instanceof AggregateNotFoundError) {
    return { status: 404, body: { error: 'not_found', message: error.message } };
  }
  if (error instanceof DomainError) {
    const unprocessable = UNPROCESSABLE.some((type) => error instanceof type);
    return {
      status: unprocessable ? 422 : 409,
      body: { error: error.constructor.name, message: error.message },
    };
  }
  if (error instanceof ConcurrencyError) {
    return { status: 409, body: { error: 'concurrency', message: error.message } };
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: 'bad_request', message: (error as Error).message } };
  }
  return { status: 500, body: { error: 'internal', message: 'Something went wrong; see the server log.' } };
}
