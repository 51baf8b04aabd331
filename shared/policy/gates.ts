// Gates: what a request must get past, snapshotted at request time (docs/architecture.md, glossary: gate).
import { CLUSTER_ACTIONS, DEPLOY_LIKE_ACTIONS } from '../schemas/index.ts';
import type { Action, Environment, Gate, Policy } from '../schemas/index.ts';

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

export function isDeployLike(action: Action): boolean {
  return DEPLOY_LIKE_ACTIONS.includes(action);
}

export function isClusterAction(action: Action): boolean {
  return CLUSTER_ACTIONS.includes(action);
}
