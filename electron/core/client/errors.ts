// The two ways a backend call fails: the server answered with an error (ApiError, from the
// `{error: {code, message, details?}}` body), or no usable answer came back (NetworkError).

/** The server answered with a non-2xx status (or a 2xx whose body did not match its schema: code `invalid_response`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** The server's Retry-After (on a 429 or 503), in ms: how long it asked to be left alone. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** A 4xx that no retry can fix: the outbox shows it as a conflict. */
  get isClientError(): boolean {
    return this.status >= 400 && this.status < 500;
  }

  toJSON(): { status: number; code: string; message: string; details?: unknown } {
    return { status: this.status, code: this.code, message: this.message, ...(this.details !== undefined ? { details: this.details } : {}) };
  }
}

export type NetworkErrorKind = 'offline' | 'timeout' | 'aborted';

/** No answer: connection refused/reset, DNS, a timeout, or the caller aborted. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly kind: NetworkErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function isNetworkError(e: unknown): e is NetworkError {
  return e instanceof NetworkError;
}

/** A short human text for a status line ("connection refused", "HTTP 401 unauthorized: …"). */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return `HTTP ${e.status} ${e.code}: ${e.message}`;
  if (e instanceof NetworkError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
