// One error type for every refusal the API makes; the error handler turns it into
// `{error: {code, message, details?}}` with its status.
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
  toBody(): { error: { code: string; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export const notFound = (what: string): HttpError => new HttpError(404, 'not_found', `${what} not found`);
export const forbidden = (message: string): HttpError => new HttpError(403, 'forbidden', message);
export const conflict = (code: string, message: string): HttpError => new HttpError(409, code, message);
export const invalid = (message: string, details?: unknown): HttpError => new HttpError(400, 'invalid_request', message, details);
