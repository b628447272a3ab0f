import { STATUS_CODES } from 'node:http';

/**
 * The API's problem types (RFC 9457 `application/problem+json`): one body shape for every 4xx and 5xx.
 * `type` is a stable relative URI (`/problems/<slug>`), never the name of a class, so renaming code
 * never changes what clients match on. Any other client error of the HTTP layer (a Content-Length that
 * does not match the body...) is `about:blank` with the status's own title, as RFC 9457 §4.2.1 says.
 */
export const PROBLEM_TYPES = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-body': { status: 400, title: 'The request body could not be read' },
  'route-not-found': { status: 404, title: 'No such route' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'concurrent-modification': { status: 409, title: 'Changed by another request at the same time' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'unprocessable-request': { status: 422, title: 'The request cannot be processed' },
  'not-ready': { status: 503, title: 'Not ready' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  'internal-error': { status: 500, title: 'Internal server error' },
} as const satisfies Record<string, { readonly status: number; readonly title: string }>;

/** The slug of a problem type: the last segment of its `type` URI. */
export type ProblemSlug = keyof typeof PROBLEM_TYPES;

/** The media type of every error response. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One field a request was refused for. */
export interface FieldError {
  /** Where the field is: `body`, `querystring` or `params`. */
  readonly in: string;
  /** Dotted path of the field, e.g. `lines.0.quantity` (empty for the whole body). */
  readonly path: string;
  readonly message: string;
}

/** One readiness check, as `GET /ready` lists them. */
export interface ReadinessCheck {
  /** `event-store`, `read-model-store` or `projection:<name>`. */
  readonly name: string;
  readonly ready: boolean;
  /** What is wrong, when it is not ready. */
  readonly detail?: string;
}

/** An RFC 9457 problem details object, with this API's extension members. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request's path. */
  readonly instance: string;
  /** The request id (also in the `x-request-id` header), to find the request in the server log. */
  readonly requestId?: string;
  /** Each field that failed validation (`validation-failed`). */
  readonly errors?: readonly FieldError[];
  /** Which business rule refused the request, as a stable slug (`conflict`, `unprocessable-request`). */
  readonly rule?: string;
  /** Every readiness check (`not-ready`). */
  readonly checks?: readonly ReadinessCheck[];
}

/** The extension members a problem may carry. */
export type ProblemExtensions = Pick<ProblemDetails, 'requestId' | 'errors' | 'rule' | 'checks'>;

/**
 * Builds the problem details of one of the API's {@link PROBLEM_TYPES}.
 *
 * @example
 * problem('not-found', '/orders/9999', 'No order "9999".');
 */
export function problem(
  slug: ProblemSlug,
  instance: string,
  detail: string,
  extensions: ProblemExtensions = {},
): ProblemDetails {
  const { status, title } = PROBLEM_TYPES[slug];
  return { type: `/problems/${slug}`, title, status, detail, instance, ...extensions };
}

/** A problem with no more meaning than its status (`about:blank`, titled with the status's phrase). */
export function plainProblem(
  status: number,
  instance: string,
  detail: string,
  extensions: ProblemExtensions = {},
): ProblemDetails {
  const title = STATUS_CODES[status] ?? 'Error';
  return { type: 'about:blank', title, status, detail, instance, ...extensions };
}
