// Builders for the engine's tests: complete, schema-shaped objects with overridable fields.
import type { ApprovalRequest, Binding, BreakGlassSession, Decision, Environment, Gate, Policy, User } from '../schemas/index.ts';
import type { ActionInput } from './action-input.ts';

export function user(id: string, over: Partial<User> = {}): User {
  return { id, name: id, email: `${id}@example.com`, orgRole: 'member', roles: [], teamIds: [], ...over };
}

export function policy(id: string, over: Partial<Policy> = {}): Policy {
  return {
    id,
    name: id,
    description: '',
    actions: ['release.deploy'],
    approvers: { userIds: [], teamIds: [], orgRoles: [] },
    quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
    conditions: {},
    requesterCanApprove: false,
    adminBypass: false,
    ...over,
  };
}

export function environment(id: string, over: Partial<Environment> = {}): Environment {
  return {
    id,
    projectId: 'proj_api',
    clusterId: 'cl_eu',
    name: id,
    protection: 'none',
    reviewers: { userIds: [], teamIds: [] },
    ...over,
  };
}

export function orgBinding(policyId: string): Binding {
  return { id: `b_org_${policyId}`, policyId, scope: 'organization' };
}

export function binding(policyId: string, scope: Binding['scope'], targetId: string): Binding {
  return { id: `b_${scope}_${policyId}_${targetId}`, policyId, scope, targetId };
}

export function gate(id: string, over: Partial<Gate> = {}): Gate {
  return {
    id,
    kind: 'policy',
    policyId: id,
    name: id,
    approvers: { userIds: [], teamIds: [], orgRoles: [] },
    quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
    requesterCanApprove: false,
    adminBypass: false,
    requireReason: false,
    ...over,
  };
}

export function approve(userId: string): Decision {
  return { userId, kind: 'approve', at: '2024-06-03T10:00:00Z' };
}

export function reject(userId: string): Decision {
  return { userId, kind: 'reject', at: '2024-06-03T10:00:00Z' };
}

export function request(
  gates: Gate[],
  decisions: Decision[] = [],
  over: Partial<Pick<ApprovalRequest, 'requesterId' | 'status'>> = {},
): Pick<ApprovalRequest, 'gates' | 'decisions' | 'requesterId' | 'status'> {
  return { gates, decisions, requesterId: 'rick', status: 'pending', ...over };
}

export function session(id: string, over: Partial<BreakGlassSession> = {}): BreakGlassSession {
  return {
    id,
    userId: 'rick',
    reason: 'incident INC-42: api down',
    scope: { actions: ['release.deploy'] },
    startedAt: '2024-06-03T09:00:00Z',
    expiresAt: '2024-06-03T11:00:00Z',
    ...over,
  };
}

export function usersById(...list: User[]): Map<string, User> {
  return new Map(list.map((u) => [u.id, u]));
}

/** A Monday, 10:00 UTC: inside business hours in UTC and in Istanbul (13:00). */
export const MONDAY_10_UTC = new Date('2024-06-03T10:00:00Z');

export function actionInput(over: Partial<ActionInput> = {}): ActionInput {
  return {
    action: 'release.deploy',
    resource: {},
    requester: user('rick', { teamIds: ['platform'] }),
    justification: 'ship the fix',
    now: MONDAY_10_UTC,
    policies: [],
    bindings: [],
    breakGlassSessions: [],
    ...over,
  };
}
