// Replay: a draft policy against the requests of the last days, each judged again as the server
// judged it when it was made (its action, resource, requester, justification and creation time),
// with the draft among the saved policies. Environments, users and sessions are today's: what
// the cache holds, not what held then.
import type { PolicyDraft } from '../schemas/api.ts';
import type { ApprovalRequest, BreakGlassSession, Environment, Team, User } from '../schemas/index.ts';
import { evaluateAction } from './evaluate-action.ts';
import { draftPolicyId, draftTouched, gateViews, type PolicySet, withDraft } from './try-draft.ts';

export const REPLAY_EXAMPLES = 5;

export interface ReplayInput {
  draft: PolicyDraft;
  saved: PolicySet;
  requests: readonly ApprovalRequest[];
  users: ReadonlyMap<string, User>;
  teams: ReadonlyMap<string, Team>;
  environments: readonly Environment[];
  breakGlassSessions: readonly BreakGlassSession[];
  nowMs: number;
  days: number;
}

export interface ReplayExample {
  id: string;
  action: ApprovalRequest['action'];
  resource: ApprovalRequest['resource'];
  requesterId: string;
  createdAt: string;
  effect: 'gated' | 'blocked';
}

export interface ReplayResult {
  /** Requests made in the window that were judged (all of them unless stopped early). */
  considered: number;
  /** The draft would have gated them (a gate of its own to pass). */
  gated: number;
  /** The draft would have refused them (it requires a reason they did not give). */
  blocked: number;
  /** Requests whose requester is no longer in the directory: not judged. */
  skipped: number;
  /** Who could have approved the draft's gate, and on how many of the gated requests, most first. */
  approvers: { id: string; name: string; count: number }[];
  examples: ReplayExample[];
  from: string;
  to: string;
}

/** The requests created in [now - days, now], oldest first. */
export function inWindow(requests: readonly ApprovalRequest[], nowMs: number, days: number): ApprovalRequest[] {
  const from = nowMs - days * 86_400_000;
  return requests
    .filter((r) => {
      const t = Date.parse(r.createdAt);
      return t >= from && t <= nowMs;
    })
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
}

/**
 * Judges `requests` (already cut to the window) from `start`, calling `onEach` after each so a
 * caller can report progress or stop; returns false from onEach to stop early.
 */
export function replayDraft(input: ReplayInput, onEach?: (done: number, total: number) => boolean | undefined): ReplayResult {
  const { draft, users, teams } = input;
  const id = draftPolicyId(draft);
  const set = withDraft(input.saved, draft);
  const envs = new Map(input.environments.map((e) => [e.id, e]));
  const requests = inWindow(input.requests, input.nowMs, input.days);
  const tally = new Map<string, number>();
  const examples: ReplayExample[] = [];
  let gated = 0;
  let blocked = 0;
  let skipped = 0;
  let done = 0;
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i]!;
    const requester = users.get(r.requesterId);
    if (requester === undefined) {
      skipped++;
    } else {
      const environment = r.resource.environmentId !== undefined ? envs.get(r.resource.environmentId) : undefined;
      const ev = evaluateAction({
        action: r.action,
        resource: r.resource,
        requester,
        justification: r.justification,
        now: new Date(r.createdAt),
        ...(environment !== undefined ? { environment } : {}),
        environments: input.environments,
        policies: set.policies,
        bindings: set.bindings,
        breakGlassSessions: input.breakGlassSessions,
      });
      const effect = draftTouched(ev, id);
      if (effect === 'blocked') blocked++;
      if (effect === 'gated') {
        gated++;
        const own = ev.gates.filter((g) => g.policyId === id);
        for (const view of gateViews(own, r.requesterId, { users, teams }, id)) {
          for (const who of view.whoCanApprove) tally.set(who.id, (tally.get(who.id) ?? 0) + 1);
        }
      }
      if (effect !== undefined && examples.length < REPLAY_EXAMPLES) {
        examples.push({ id: r.id, action: r.action, resource: r.resource, requesterId: r.requesterId, createdAt: r.createdAt, effect });
      }
    }
    done = i + 1;
    if (onEach?.(done, requests.length) === false) break;
  }
  const approvers = [...tally]
    .map(([uid, count]) => ({ id: uid, name: users.get(uid)?.name ?? uid, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return {
    considered: done,
    gated,
    blocked,
    skipped,
    approvers,
    examples,
    from: new Date(input.nowMs - input.days * 86_400_000).toISOString(),
    to: new Date(input.nowMs).toISOString(),
  };
}
