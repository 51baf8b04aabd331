// Every refusal the API makes leaves as `{error: {code, message, details?}}` with its status:
// HttpError for the ones only HTTP knows about (auth, parsing, idempotency keys, draining), and
// the status each kind of DomainError stands for.
import type { ErrorBody } from '../../shared/schemas/index.ts';
import type { DomainError, DomainErrorKind } from '../domain/errors.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

const STATUS: Record<DomainErrorKind, number> = {
  invalid_request: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  stale: 412,
  policy_violation: 422,
  locked: 423,
  rate_limited: 429,
};

export function fromDomainError(err: DomainError): HttpError {
  return new HttpError(STATUS[err.kind], err.code, err.message, err.details);
}
