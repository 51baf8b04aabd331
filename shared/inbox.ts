// How the inbox groups actions into its filters (issue: release, promotion, rollback, cluster,
// project, security). One table, used by the desktop cache's queries and the renderer's chips.
import type { Action } from './schemas/index.ts';

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

export function actionsOf(group: ActionGroup): Action[] {
  return (Object.keys(ACTION_GROUP) as Action[]).filter((a) => ACTION_GROUP[a] === group);
}
