// Try it and Replay: a draft policy judged beside the saved ones, by the same engine the server
// enforces (evaluateAction), so the console can show what saving it would change before it does.
import type { PolicyDraft } from '../schemas/api.ts';
import { Policy } from '../schemas/index.ts';
import type { ApprovalRequest, Binding, Gate, RuleResult, Team, User } from '../schemas/index.ts';
import type { ActionEvaluation } from './evaluate-action.ts';
import { evaluateProgress } from './progress.ts';

/** The id a draft that replaces no saved policy gets while it is tried (never sent to the server). */
export const DRAFT_POLICY_ID = 'draft';

export interface PolicySet {
  policies: readonly Policy[];
  bindings: readonly Binding[];
}

/** The id the draft is judged under: the saved policy it replaces, or DRAFT_POLICY_ID. */
export function draftPolicyId(draft: Pick<PolicyDraft, 'id'>): string {
  return draft.id ?? DRAFT_POLICY_ID;
}

/**
 * The saved policies and bindings with the draft in place of the policy it edits (`draft.id`), or
 * added beside them. The edited policy's saved bindings go with it: the draft's are the ones it
 * would have once saved.
 */
export function withDraft(saved: PolicySet, draft: PolicyDraft): PolicySet & { policy: Policy } {
  const id = draftPolicyId(draft);
  const { id: _id, bindings, ...body } = draft;
  // Policy fills the defaults the server fills when it stores a body (description, conditions, …).
  const policy = Policy.parse({ ...body, id });
  const policies = saved.policies.filter((p) => p.id !== id);
  policies.push(policy);
  const kept = saved.bindings.filter((b) => b.policyId !== id);
  const added: Binding[] = bindings.map((b, i) => ({
    id: `${id}-binding-${i + 1}`,
    policyId: id,
    scope: b.scope,
    ...(b.targetId !== undefined ? { targetId: b.targetId } : {}),
  }));
  return { policy, policies, bindings: [...kept, ...added] };
}

export interface Approver {
  id: string;
  name: string;
}

export interface GateView {
  name: string;
  kind: Gate['kind'];
  /** The draft's own gate (false: a saved policy or the environment's Restricted level). */
  fromDraft: boolean;
  /** What it needs, in words: "2 more approvals", "approval from team Security". */
  needs: string[];
  /** Active users who could approve it (not the requester unless the gate allows it). */
  whoCanApprove: Approver[];
}

export interface Verdict {
  outcome: ActionEvaluation['outcome'];
  /** Set when the outcome is a refusal: its status and message (with the reasons for a 422). */
  refused?: { status: number; message: string; details: string[] };
  gates: GateView[];
  bypassed: { name: string; by: 'admin' | 'breakglass' }[];
  warnings: string[];
  /** How each content rule of the policies that applied judged the action. */
  rules: RuleResult[];
}

export interface Names {
  users: ReadonlyMap<string, User>;
  teams: ReadonlyMap<string, Team>;
}

function active(users: ReadonlyMap<string, User>): Map<string, User> {
  const out = new Map<string, User>();
  for (const [id, u] of users) if (u.active !== false) out.set(id, u);
  return out;
}

/**
 * What each gate needs and who could approve it, as a fresh request with no decisions would show
 * them: evaluateProgress is what the server answers for such a request, so the words match.
 */
export function gateViews(gates: readonly Gate[], requesterId: string, names: Names, draftId: string): GateView[] {
  const eligible = active(names.users);
  const request: Pick<ApprovalRequest, 'gates' | 'decisions' | 'requesterId'> = { gates: [...gates], decisions: [], requesterId };
  const progress = evaluateProgress(request, eligible, { user: (id) => names.users.get(id)?.name, team: (id) => names.teams.get(id)?.name });
  return gates.map((gate, i) => {
    const p = progress.gates[i]!;
    return {
      name: gate.name,
      kind: gate.kind,
      fromDraft: gate.policyId === draftId,
      needs: p.missing,
      // By name: the cache's order is whatever order users arrived in.
      whoCanApprove: p.canStillApprove.map((id) => ({ id, name: names.users.get(id)?.name ?? id })).sort((a, b) => a.name.localeCompare(b.name)),
    };
  });
}

/** An evaluation (or a refusal made before it) in the words Try it shows. */
export function verdictOf(
  ev: ActionEvaluation & { refusal?: { status: number; message: string } },
  requesterId: string,
  names: Names,
  draftId: string,
): Verdict {
  const out: Verdict = {
    outcome: ev.outcome,
    gates: gateViews(ev.gates, requesterId, names, draftId),
    bypassed: ev.bypassed.map((b) => ({ name: b.gate.name, by: b.by })),
    warnings: ev.warnings,
    rules: ev.ruleResults ?? [],
  };
  if (ev.refusal !== undefined) out.refused = { status: ev.refusal.status, message: ev.refusal.message, details: [] };
  else if (ev.deny !== undefined) out.refused = { status: ev.deny.status, message: ev.deny.message, details: (ev.deny.details ?? []).map((d) => d.message) };
  return out;
}

/** Did the draft's own policy gate or refuse this evaluation? */
export function draftTouched(ev: ActionEvaluation, draftId: string): 'gated' | 'blocked' | undefined {
  if (ev.deny?.details?.some((d) => d.policyId === draftId)) return 'blocked';
  if (ev.gates.some((g) => g.policyId === draftId)) return 'gated';
  return undefined;
}
