// Gates: what a request must get past, snapshotted at request time (docs/architecture.md, glossary: gate).
import { CLUSTER_ACTIONS, DEPLOY_LIKE_ACTIONS } from '../schemas/index.ts';
import type { Action, Environment, Gate, Policy, User } from '../schemas/index.ts';
import { isAdmin } from './roles.ts';

/**
 * The gate a bound policy imposes. Arrays are shared with the policy, not copied: a snapshot is
 * what the caller stores (its JSON), and copying eight arrays per gate would dominate the cost of
 * an evaluation. Treat gates as read-only.
 */
export function gateFromPolicy(policy: Policy): Gate {
  return {
    id: policy.id,
    kind: 'policy',
    policyId: policy.id,
    name: policy.name,
    approvers: policy.approvers,
    quorum: policy.quorum,
    requesterCanApprove: policy.requesterCanApprove,
    adminBypass: policy.adminBypass,
    requireReason: policy.conditions.requireReason === true,
    // Snapshotted with the gate: the rules run again at each decision and the escalation fires
    // later, both as the policy stood when the request was made.
    ...(policy.rules !== undefined && policy.rules.length > 0
      ? { rules: policy.rules, ...(policy.conditions.timezone !== undefined ? { timezone: policy.conditions.timezone } : {}) }
      : {}),
    ...(policy.escalation !== undefined ? { escalation: policy.escalation } : {}),
  };
}

/** The environment's Restricted level as an implicit policy: one approval from a reviewer. */
export function restrictedGate(env: Environment): Gate {
  return {
    id: `restricted:${env.id}`,
    kind: 'restricted',
    environmentId: env.id,
    name: `Restricted: ${env.name}`,
    approvers: { userIds: env.reviewers.userIds, teamIds: env.reviewers.teamIds, orgRoles: [] },
    quorum: {
      minApprovals: 1,
      minDistinctTeams: 0,
      requiredUserIds: [],
      requiredTeamIds: [],
      requiredOrgRoles: [],
    },
    requesterCanApprove: false,
    adminBypass: true,
    requireReason: false,
  };
}

/**
 * Only owners and admins change an environment's protection outright; a release manager may ask,
 * and the ask is always held for one owner or admin who is not the requester. Never bypassable by
 * an admin (an admin requester gets no such gate at all); break-glass goes past it like any gate.
 */
export function authorityGate(environmentId: string | undefined): Gate {
  return {
    id: `authority:${environmentId ?? 'org'}`,
    kind: 'authority',
    ...(environmentId !== undefined ? { environmentId } : {}),
    name: OWNER_OR_ADMIN_APPROVAL,
    approvers: { userIds: [], teamIds: [], orgRoles: ['owner', 'admin'] },
    quorum: {
      minApprovals: 1,
      minDistinctTeams: 0,
      requiredUserIds: [],
      requiredTeamIds: [],
      requiredOrgRoles: [],
    },
    requesterCanApprove: false,
    adminBypass: false,
    requireReason: false,
  };
}

/** The name of the implicit gate on a protection change asked for by a release manager. */
export const OWNER_OR_ADMIN_APPROVAL = 'Owner or admin approval';

/** Actions that only owners and admins may apply without an owner's or admin's approval. */
export function needsAuthorityApproval(action: Action, requester: User): boolean {
  return action === 'environment.policyUpdate' && !isAdmin(requester);
}

export function isDeployLike(action: Action): boolean {
  return DEPLOY_LIKE_ACTIONS.includes(action);
}

export function isClusterAction(action: Action): boolean {
  return CLUSTER_ACTIONS.includes(action);
}
