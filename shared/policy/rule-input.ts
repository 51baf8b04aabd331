// The input a content rule's `when` reads (docs/policies.md, "The rule input"): built once per
// evaluation from what the engine was given, with names in place of ids, so a rule reads
// `requester.teams` as people say them and not as the store keys them.
import { WEEKDAYS } from '../schemas/index.ts';
import type { Decision, Environment, Resource, RiskFacts, User } from '../schemas/index.ts';
import type { RuleContent, RuleDirectory } from './action-input.ts';
import { localClock } from './local-clock.ts';

/** What the rule input is made from; every part but the action and the requester may be absent. */
export interface RuleInputSource {
  action: string;
  justification: string;
  requester: User;
  resource: Resource;
  environment?: Environment | undefined;
  content?: RuleContent | undefined;
  directory?: RuleDirectory | undefined;
  decisions?: readonly Decision[] | undefined;
}

/** The rule input without `now`, which depends on each policy's timezone. */
export type RuleInputBase = Record<string, unknown>;

const NO_PLAN = Object.freeze({});

// CEL's ints are BigInt in the library: a JS number would read as a double, and `risk.x > 0`
// type-checks against the declared int.
function riskInput(risk: RiskFacts | undefined) {
  return {
    deletedResources: BigInt(risk?.deletedResources ?? 0),
    imageChanges: BigInt(risk?.imageChanges ?? 0),
    replicaChanges: BigInt(risk?.replicaChanges ?? 0),
    rbacChanges: BigInt(risk?.rbacChanges ?? 0),
    secretChanges: BigInt(risk?.secretChanges ?? 0),
    terraformDestroys: BigInt(risk?.terraformDestroys ?? 0),
    filesChanged: BigInt(risk?.filesChanged ?? 0),
    linesAdded: BigInt(risk?.linesAdded ?? 0),
    linesRemoved: BigInt(risk?.linesRemoved ?? 0),
    untaggedImages: BigInt(risk?.untaggedImages ?? 0),
    deletedKinds: risk?.deletedKinds ?? [],
    complete: risk?.complete ?? true,
  };
}

function teamNames(user: User, directory: RuleDirectory | undefined): string[] {
  if (directory === undefined || user.teamIds.length === 0) return [];
  const out: string[] = [];
  for (const id of user.teamIds) {
    const team = directory.teams.find((t) => t.id === id);
    if (team !== undefined) out.push(team.name);
  }
  return out;
}

/** Approvals in the order given, one per person (their first decision is theirs, as in progress.ts). */
function approvalsInput(decisions: readonly Decision[] | undefined, directory: RuleDirectory | undefined) {
  const out: Record<string, unknown>[] = [];
  if (decisions === undefined || decisions.length === 0) return out;
  const seen = new Set<string>();
  for (const d of decisions) {
    if (seen.has(d.userId)) continue;
    seen.add(d.userId);
    if (d.kind !== 'approve') continue;
    const user = directory?.users.find((u) => u.id === d.userId);
    // An approval by an unknown account carries nothing, as in the quorum.
    if (user === undefined) continue;
    out.push({ name: user.name, email: user.email, orgRole: user.orgRole, roles: user.roles, teams: teamNames(user, directory) });
  }
  return out;
}

export function ruleInputBase(src: RuleInputSource): RuleInputBase {
  const { content, directory, environment, requester, resource } = src;
  const projectId = resource.projectId ?? environment?.projectId;
  const clusterId = resource.clusterId ?? environment?.clusterId;
  const cost = content?.cost;
  return {
    action: src.action,
    justification: src.justification,
    revision: content?.revision ?? '',
    environment: { name: environment?.name ?? '', protection: environment?.protection ?? '' },
    project: { name: (projectId !== undefined && directory?.projects.find((p) => p.id === projectId)?.name) || '' },
    cluster: { name: (clusterId !== undefined && directory?.clusters.find((c) => c.id === clusterId)?.name) || '' },
    requester: {
      name: requester.name,
      email: requester.email,
      orgRole: requester.orgRole,
      roles: requester.roles,
      teams: teamNames(requester, directory),
    },
    approvals: approvalsInput(src.decisions, directory),
    cost: { totalMonthlyCost: cost?.totalMonthlyCost ?? 0, monthlyCostDiff: cost?.monthlyCostDiff ?? 0 },
    has_cost: cost !== undefined,
    plan: content?.plan ?? NO_PLAN,
    risk: riskInput(content?.risk),
  };
}

const clock = { weekday: 0, hour: 0 };

/**
 * The whole input for a policy in `timezone` (IANA; default UTC). Undefined when this runtime does
 * not know the zone: the caller then counts the policy's rules as errors, never as passing.
 */
export function ruleInputAt(base: RuleInputBase, timezone: string | undefined, now: Date): Record<string, unknown> | undefined {
  if (!localClock(timezone, now.getTime(), clock)) return undefined;
  return { ...base, now: { weekday: WEEKDAYS[clock.weekday], hour: BigInt(clock.hour) } };
}
