// The page's client of the Rewind Studio JSON API. The token travels in the cookie the first page
// load set; a failure is thrown as an ApiError carrying the problem document's detail.

/** A failed API request: `status` and the server's `detail` (what went wrong and the fix). */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** GET `/api/<path>` with the given query (undefined values left out); resolves to the JSON body. */
export async function get(path, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return request('GET', `/api/${path}${qs ? `?${qs}` : ''}`);
}

/** POST `/api/<path>` (a write: refused with 403 unless the Studio runs with --allow-writes). */
export function post(path) {
  return request('POST', `/api/${path}`, {});
}

async function request(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(response.status, data?.detail ?? response.statusText);
  return data;
}

/** Path segment encoding for stream ids, aggregate ids and names. */
export const seg = (value) => encodeURIComponent(value);
