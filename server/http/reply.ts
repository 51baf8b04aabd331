import type { Result } from '../domain/result.ts';
import { fromDomainError } from './errors.ts';

/** A mutation's answer as it is sent, and as an Idempotency-Key replays it. */
export interface Reply {
  status: number;
  body: unknown;
}

/**
 * The answer to a mutation's result: 201 for something created, 200 for a change, 202 with the
 * pending request for a held action (or with what was queued), the refusal's error otherwise. `present` names the value in
 * the body (`{policy}`, `{environment}`, …).
 */
export function replyFor<T>(result: Result<T>, present: (value: T) => unknown): Reply {
  switch (result.kind) {
    case 'created':
      return { status: 201, body: present(result.value) };
    case 'changed':
      return { status: 200, body: present(result.value) };
    case 'accepted':
      return { status: 202, body: present(result.value) };
    case 'held':
      return { status: 202, body: { request: result.request } };
    case 'refused': {
      const error = fromDomainError(result.error);
      return { status: error.status, body: error.toBody() };
    }
  }
}
