// Where a pending request stands: per gate, what is met, what is missing, who can still move it.
import type { ApprovalRequest, Gate, GateProgress, Progress, User } from '../schemas/index.ts';
import { escalationWords } from './describe.ts';
import { isEligible, isEligibleForAny } from './eligibility.ts';
import { maxDistinctTeams } from './matching.ts';
import { holdsOrgRole } from './roles.ts';

/** Display names for the phrases of a progress report; ids are shown where a name is unknown. */
export interface NameLookup {
  user?(id: string): string | undefined;
  team?(id: string): string | undefined;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function withArticle(role: string): string {
  return `${/^[aeiou]/i.test(role) ? 'an' : 'a'} ${role}`;
}

function anyHolds(approvers: readonly User[], test: (u: User) => boolean): boolean {
  for (const u of approvers) if (test(u)) return true;
  return false;
}

interface Names {
  user(id: string): string;
  team(id: string): string;
}

/**
 * One gate against the approvals of users eligible for it. Every quorum field is AND'ed
 * (every quorum field must hold: they combine with AND).
 */
function gateProgress(gate: Gate, approvers: readonly User[], eligibleUndecided: string[], names: Names): GateProgress {
  const q = gate.quorum;
  const met: string[] = [];
  const missing: string[] = [];
  const count = approvers.length;

  if (q.minApprovals > 0) {
    if (count >= q.minApprovals) met.push(`${count} of ${plural(q.minApprovals, 'approval')}`);
    else missing.push(plural(q.minApprovals - count, 'more approval'));
  }
  if (q.minDistinctTeams > 0) {
    const teams = maxDistinctTeams(approvers.map((u) => u.teamIds));
    const phrase = plural(q.minDistinctTeams, 'distinct team');
    if (teams >= q.minDistinctTeams) met.push(phrase);
    else missing.push(`${phrase} (have ${teams})`);
  }
  for (const id of q.requiredUserIds) {
    const phrase = `approval from ${names.user(id)}`;
    (anyHolds(approvers, (u) => u.id === id) ? met : missing).push(phrase);
  }
  for (const id of q.requiredTeamIds) {
    const phrase = `approval from team ${names.team(id)}`;
    (anyHolds(approvers, (u) => u.teamIds.includes(id)) ? met : missing).push(phrase);
  }
  for (const role of q.requiredOrgRoles) {
    (anyHolds(approvers, (u) => holdsOrgRole(u, role)) ? met : missing).push(withArticle(role));
  }

  return {
    gateId: gate.id,
    name: gate.name,
    passed: missing.length === 0,
    approvals: count,
    required: q.minApprovals,
    met,
    missing,
    canStillApprove: eligibleUndecided,
    ...escalationProgress(gate, names),
  };
}

/** The escalation's words, and when it fired: "escalated: after 30 min short of its quorum, team SRE may approve too". */
function escalationProgress(gate: Gate, names: Names): Pick<GateProgress, 'escalation' | 'escalatedAt'> {
  if (!gate.escalation) return {};
  const words = escalationWords(gate.escalation, names);
  return gate.escalatedAt ? { escalation: `escalated: ${words}`, escalatedAt: gate.escalatedAt } : { escalation: words };
}

/**
 * Decisions by users missing from `users` are ignored (deleted or unknown accounts cannot carry a
 * quorum). A user's first decision is theirs: the server refuses a second one (409), and counting
 * only the first keeps a duplicated record from counting twice.
 *
 * status: 'rejected' when any user eligible for any gate rejected (a reject by someone who could
 * not have approved is noise); else 'approved' when every gate passes (no gates: approved); else
 * 'pending'.
 */
export function evaluateProgress(
  request: Pick<ApprovalRequest, 'gates' | 'decisions' | 'requesterId'>,
  users: ReadonlyMap<string, User>,
  names?: NameLookup,
): Progress {
  const decided = new Set<string>();
  const approvals: User[] = [];
  let rejected = false;
  for (const d of request.decisions) {
    if (decided.has(d.userId)) continue;
    decided.add(d.userId);
    const user = users.get(d.userId);
    if (user === undefined) continue;
    if (d.kind === 'approve') approvals.push(user);
    else if (isEligibleForAny(request, user)) rejected = true;
  }

  const lookup: Names = {
    user: (id) => names?.user?.(id) ?? users.get(id)?.name ?? id,
    team: (id) => names?.team?.(id) ?? id,
  };

  const gates = request.gates.map((gate) => {
    const approvers = approvals.filter((u) => isEligible(u, gate, request.requesterId));
    const undecided: string[] = [];
    for (const u of users.values()) {
      if (!decided.has(u.id) && isEligible(u, gate, request.requesterId)) undecided.push(u.id);
    }
    return gateProgress(gate, approvers, undecided, lookup);
  });

  if (rejected) return { status: 'rejected', gates, summary: 'rejected' };
  const unmet = gates.filter((g) => !g.passed);
  const first = unmet[0];
  if (first === undefined) return { status: 'approved', gates, summary: 'approved' };
  const prefix = gates.length > 1 ? `${first.name}: ` : '';
  const more = unmet.length > 1 ? ` (+${plural(unmet.length - 1, 'more gate')})` : '';
  return {
    status: 'pending',
    gates,
    summary: `${prefix}${first.approvals} of ${first.required} · missing: ${first.missing.join(', ')}${more}`,
  };
}

/**
 * The inbox's one-line standing of a request: every gate counted, so a request with three gates
 * never reads as if the first were all there is. One gate: "1 of 2 · missing: 1 more approval";
 * several: "1 of 3 gates · missing: SRE (approval from team SRE), Security (a tech-lead)".
 */
export function progressLine(progress: Progress): string {
  if (progress.status !== 'pending') return progress.summary;
  const unmet = progress.gates.filter((g) => !g.passed);
  if (progress.gates.length === 1) {
    const g = progress.gates[0]!;
    return `${g.approvals} of ${g.required} · missing: ${g.missing.join(', ')}`;
  }
  const passed = progress.gates.length - unmet.length;
  return `${passed} of ${progress.gates.length} gates · missing: ${unmet.map((g) => `${g.name} (${g.missing.join(', ')})`).join(', ')}`;
}
