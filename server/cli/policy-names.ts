// Between the file's names and the API's ids: a policy file resolves against the org's directory
// (users by email, teams, projects and clusters by name, environments as "project/environment").
import type { Binding, BindingScope, Cluster, CreatePolicyBody, Environment, Policy, PolicyRule, Project, Team, User } from '../../shared/schemas/index.ts';
import { BadInput, type FileApprovers, type FileBinding, type FilePolicy, type FileQuorum } from './policy-file.ts';

export interface Directory {
  users: readonly User[];
  teams: readonly Team[];
  projects: readonly Project[];
  clusters: readonly Cluster[];
  environments: readonly Environment[];
}

/** A policy as the API takes it, and where it is bound; what `apply` compares and sends. */
export interface ResolvedPolicy {
  body: CreatePolicyBody;
  bindings: { scope: BindingScope; targetId?: string }[];
}

const lower = (s: string) => s.toLowerCase();

/** Code-unit order: the same on every machine, whatever its locale (exports are byte-identical). */
export const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Every name the file gives resolved to its id, or BadInput listing each name that is not in the directory. */
export function resolvePolicies(policies: readonly FilePolicy[], dir: Directory): ResolvedPolicy[] {
  const unknown: string[] = [];
  const find =
    <T extends { id: string }>(list: readonly T[], key: (t: T) => string, what: string, policy: string) =>
    (name: string) => {
      const hit = list.find((t) => lower(key(t)) === lower(name));
      if (!hit) unknown.push(`policy "${policy}": no ${what} "${name}"`);
      return hit?.id ?? name;
    };
  const out = policies.map((p): ResolvedPolicy => {
    const user = find(dir.users, (u) => u.email, 'user with email', p.name);
    const team = find(dir.teams, (t) => t.name, 'team', p.name);
    const approvers = (a: FileApprovers) => ({ userIds: a.users.map(user), teamIds: a.teams.map(team), orgRoles: a.orgRoles });
    const quorum = (q: FileQuorum) => ({
      minApprovals: q.minApprovals,
      minDistinctTeams: q.minDistinctTeams,
      requiredUserIds: q.requiredUsers.map(user),
      requiredTeamIds: q.requiredTeams.map(team),
      requiredOrgRoles: q.requiredOrgRoles,
    });
    const target = (b: FileBinding): string | undefined => {
      if (b.scope === 'organization') return undefined;
      if (b.scope === 'project') return find(dir.projects, (x) => x.name, 'project', p.name)(b.target!);
      if (b.scope === 'cluster') return find(dir.clusters, (x) => x.name, 'cluster', p.name)(b.target!);
      const [projectName, envName] = b.target!.split('/') as [string, string];
      const project = dir.projects.find((x) => lower(x.name) === lower(projectName));
      const env = project && dir.environments.find((e) => e.projectId === project.id && lower(e.name) === lower(envName));
      if (!env) unknown.push(`policy "${p.name}": no environment "${b.target}"${project ? '' : ` (no project "${projectName}")`}`);
      return env?.id ?? b.target;
    };
    return {
      body: {
        name: p.name,
        description: p.description,
        actions: p.actions,
        approvers: approvers(p.approvers),
        quorum: quorum(p.quorum),
        conditions: p.conditions,
        requesterCanApprove: p.requesterCanApprove,
        adminBypass: p.adminBypass,
        rules: p.rules.map((r) => ({
          name: r.name,
          when: r.when,
          outcome: r.outcome,
          ...(r.message !== undefined ? { message: r.message } : {}),
          ...(r.quorum !== undefined ? { quorum: quorum(r.quorum) } : {}),
        })),
        ...(p.escalation ? { escalation: { afterMinutes: p.escalation.afterMinutes, approvers: approvers(p.escalation.approvers) } } : {}),
      },
      bindings: p.bindings.map((b) => {
        const targetId = target(b);
        return targetId === undefined ? { scope: b.scope } : { scope: b.scope, targetId };
      }),
    };
  });
  if (unknown.length > 0) throw new BadInput(`names that are not in the directory:\n  ${[...new Set(unknown)].join('\n  ')}`);
  return out;
}

const SCOPE_ORDER: Record<BindingScope, number> = { organization: 0, project: 1, cluster: 2, environment: 3 };

/** A saved policy in the file's words, its keys and lists in a fixed order (so two exports are byte-identical). */
export function policyToFile(policy: Policy, bindings: readonly Binding[], dir: Directory): Record<string, unknown> {
  const name =
    <T extends { id: string }>(list: readonly T[], key: (t: T) => string, what: string) =>
    (id: string) => {
      const hit = list.find((t) => t.id === id);
      if (!hit) throw new BadInput(`policy "${policy.name}" names ${what} ${id}, which is not in the directory`);
      return key(hit);
    };
  const email = name(dir.users, (u) => u.email, 'user');
  const team = name(dir.teams, (t) => t.name, 'team');
  const approvers = (a: Policy['approvers']) => ({ users: a.userIds.map(email), teams: a.teamIds.map(team), orgRoles: a.orgRoles });
  const quorum = (q: Policy['quorum']) => ({
    minApprovals: q.minApprovals,
    minDistinctTeams: q.minDistinctTeams,
    requiredUsers: q.requiredUserIds.map(email),
    requiredTeams: q.requiredTeamIds.map(team),
    requiredOrgRoles: q.requiredOrgRoles,
  });
  const c = policy.conditions;
  const conditions = Object.fromEntries(
    (['environments', 'weekdays', 'startHour', 'endHour', 'timezone', 'requireReason'] as const).filter((k) => c[k] !== undefined).map((k) => [k, c[k]]),
  );
  const rule = (r: PolicyRule) => ({
    name: r.name,
    when: r.when,
    outcome: r.outcome,
    ...(r.message !== undefined ? { message: r.message } : {}),
    ...(r.quorum !== undefined ? { quorum: quorum(r.quorum) } : {}),
  });
  const target = (b: Binding): string | undefined => {
    if (b.scope === 'organization' || b.targetId === undefined) return undefined;
    if (b.scope === 'project') return name(dir.projects, (p) => p.name, 'project')(b.targetId);
    if (b.scope === 'cluster') return name(dir.clusters, (p) => p.name, 'cluster')(b.targetId);
    const env = dir.environments.find((e) => e.id === b.targetId);
    if (!env) throw new BadInput(`policy "${policy.name}" is bound to environment ${b.targetId}, which is not in the directory`);
    return `${name(dir.projects, (p) => p.name, 'project')(env.projectId)}/${env.name}`;
  };
  const fileBindings = bindings
    .filter((b) => b.policyId === policy.id)
    .map((b) => {
      const t = target(b);
      return t === undefined ? { scope: b.scope } : { scope: b.scope, target: t };
    })
    .sort((a, b) => SCOPE_ORDER[a.scope] - SCOPE_ORDER[b.scope] || compareText(a.target ?? '', b.target ?? ''));
  return {
    name: policy.name,
    ...(policy.description !== '' ? { description: policy.description } : {}),
    actions: policy.actions,
    approvers: approvers(policy.approvers),
    quorum: quorum(policy.quorum),
    ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
    requesterCanApprove: policy.requesterCanApprove,
    adminBypass: policy.adminBypass,
    ...(policy.rules !== undefined && policy.rules.length > 0 ? { rules: policy.rules.map(rule) } : {}),
    ...(policy.escalation ? { escalation: { afterMinutes: policy.escalation.afterMinutes, approvers: approvers(policy.escalation.approvers) } } : {}),
    bindings: fileBindings,
  };
}
