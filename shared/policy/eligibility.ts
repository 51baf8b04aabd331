// Who may decide on a request (docs/policies.md, "Deciding on a pending request").
import type { ApprovalRequest, Gate, User } from '../schemas/index.ts';
import { holdsOrgRole } from './roles.ts';

function sharesAny(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (b.includes(a[i]!)) return true;
  return false;
}

/**
 * In the gate's approvers (as a user, through a team, or holding an org role), and not the
 * requester unless the gate allows self-approval (separation of duties is the default).
 */
export function isEligible(user: User, gate: Gate, requesterId: string): boolean {
  if (user.id === requesterId && !gate.requesterCanApprove) return false;
  const a = gate.approvers;
  if (a.userIds.includes(user.id)) return true;
  if (sharesAny(user.teamIds, a.teamIds)) return true;
  for (let i = 0; i < a.orgRoles.length; i++) if (holdsOrgRole(user, a.orgRoles[i]!)) return true;
  return false;
}

export function isEligibleForAny(request: Pick<ApprovalRequest, 'gates' | 'requesterId'>, user: User): boolean {
  for (let i = 0; i < request.gates.length; i++) {
    if (isEligible(user, request.gates[i]!, request.requesterId)) return true;
  }
  return false;
}

/** Pending, eligible for at least one gate, and no decision of theirs recorded yet. */
export function canApprove(request: Pick<ApprovalRequest, 'gates' | 'decisions' | 'requesterId' | 'status'>, user: User): boolean {
  if (request.status !== 'pending') return false;
  if (!isEligibleForAny(request, user)) return false;
  for (let i = 0; i < request.decisions.length; i++) if (request.decisions[i]!.userId === user.id) return false;
  return true;
}
