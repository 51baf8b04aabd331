// How the inbox groups actions into its filters (issue: release, promotion, rollback, cluster,
// project, security). One table, used by the desktop cache's queries and the renderer's chips.
import type { Action, Environment, Resource } from './schemas/index.ts';

export const ACTION_GROUPS = ['release', 'promotion', 'rollback', 'cluster', 'project', 'security'] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

export const ACTION_GROUP: Record<Action, ActionGroup> = {
  'release.deploy': 'release',
  'promotion.execute': 'promotion',
  'rollback.execute': 'rollback',
  'project.delete': 'project',
  'environment.freeze': 'project',
  'environment.unfreeze': 'project',
  'environment.policyUpdate': 'project',
  'cluster.sync': 'cluster',
  'cluster.rollback': 'cluster',
  'cluster.restart': 'cluster',
  'cluster.scale': 'cluster',
  'manifest.apply': 'cluster',
  'command.execute': 'cluster',
  'resource.delete': 'cluster',
  'token.issue': 'security',
  'breakglass.initiate': 'security',
};

/** What the console calls each action (the inbox's search matches these words too). */
export const ACTION_LABELS: Record<Action, string> = {
  'release.deploy': 'Deploy',
  'promotion.execute': 'Promotion',
  'rollback.execute': 'Rollback',
  'project.delete': 'Delete project',
  'environment.freeze': 'Freeze env',
  'environment.unfreeze': 'Unfreeze env',
  'environment.policyUpdate': 'Policy change',
  'cluster.sync': 'Cluster sync',
  'cluster.rollback': 'Cluster rollback',
  'cluster.restart': 'Restart',
  'cluster.scale': 'Scale',
  'manifest.apply': 'Apply manifest',
  'command.execute': 'Run command',
  'resource.delete': 'Delete resource',
  'token.issue': 'Issue token',
  'breakglass.initiate': 'Break-glass',
};

export function actionsOf(group: ActionGroup): Action[] {
  return (Object.keys(ACTION_GROUP) as Action[]).filter((a) => ACTION_GROUP[a] === group);
}

/** "payments / production"; without an environment its project and cluster; else "organisation". */
export function resourceLabel(r: Resource, environment: (id: string) => Environment | undefined, name: (id: string) => string): string {
  const env = r.environmentId !== undefined ? environment(r.environmentId) : undefined;
  if (env) return `${name(env.projectId)} / ${env.name}`;
  const parts = [r.projectId, r.clusterId].filter((x): x is string => x !== undefined).map(name);
  return parts.join(' / ') || 'organisation';
}
