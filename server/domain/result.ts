import type { ApprovalRequest } from '../../shared/schemas/index.ts';
import type { DomainError } from './errors.ts';

/**
 * What a mutation did. A gated action the policy engine holds becomes a pending request instead;
 * `refused` is a refusal whose traces (its audit record, an expiry found on the way) must commit,
 * where a thrown DomainError would roll them back.
 */
export type Result<T> =
  | { kind: 'created'; value: T }
  | { kind: 'changed'; value: T }
  /** Taken on, to be done later (a delivery queued): 202. */
  | { kind: 'accepted'; value: T }
  | { kind: 'held'; request: ApprovalRequest }
  | { kind: 'refused'; error: DomainError };

export const created = <T>(value: T): Result<T> => ({ kind: 'created', value });
export const changed = <T>(value: T): Result<T> => ({ kind: 'changed', value });
export const accepted = <T>(value: T): Result<T> => ({ kind: 'accepted', value });
export const held = (request: ApprovalRequest): Result<never> => ({ kind: 'held', request });
export const refused = (error: DomainError): Result<never> => ({ kind: 'refused', error });

/** The created or changed value; undefined when the action was held or refused. */
export function appliedValue<T>(r: Result<T>): T | undefined {
  return r.kind === 'created' || r.kind === 'changed' || r.kind === 'accepted' ? r.value : undefined;
}
