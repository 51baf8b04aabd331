// Why a service refused: `kind` is the class of refusal (the HTTP layer turns it into a status),
// `code` the machine-readable reason clients branch on, `message` the sentence shown to people.
// Thrown, it rolls the transaction back; returned inside a `refused` result, what was written
// before it (the audit record of a refusal, an expiry) commits.
export type DomainErrorKind =
  | 'invalid_request'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  /** The request changed since the reviewer saw it. */
  | 'stale'
  /** The policy engine refused the action outright. */
  | 'policy_violation'
  | 'locked'
  | 'rate_limited';

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  readonly code: string;
  readonly details: unknown;
  constructor(kind: DomainErrorKind, code: string, message: string, details?: unknown) {
    super(message);
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string): DomainError => new DomainError('not_found', 'not_found', `${what} not found`);
export const forbidden = (message: string, code = 'forbidden'): DomainError => new DomainError('forbidden', code, message);
export const conflict = (code: string, message: string): DomainError => new DomainError('conflict', code, message);
export const invalid = (message: string, details?: unknown): DomainError => new DomainError('invalid_request', 'invalid_request', message, details);
