// The one error type routes throw; its code is part of the API and never changes meaning.

export const ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  admin_closed: 403,
  origin_not_allowed: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** An HTML page sent instead of the JSON body, for a refusal a person meets in the browser. */
    readonly page: string | null = null,
  ) {
    super(message);
    this.status = ERROR_CODES[code];
  }
}

export const badRequest = (message: string) => new HttpError('bad_request', message);
