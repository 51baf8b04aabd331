// Consistent resources (docs/policies.md, "Consistent resources"): an environment implies its
// project and cluster, deploy-like actions name an environment, cluster actions a cluster, so no
// gate can be walked around by naming things differently. Pure: the server looks the environment
// up and checks that the ids exist; this decides whether they agree.
import type { Action, Environment, Resource } from '../schemas/index.ts';
import { isClusterAction, isDeployLike } from './gates.ts';

export type ResourceCheck = { ok: true; resource: Resource } | { ok: false; message: string };

/** The resource completed from its environment, or why it is inconsistent (400 invalid_resource). */
export function checkResource(action: Action, resource: Resource, environment: Environment | undefined): ResourceCheck {
  const out: Resource = { ...resource };
  if (environment !== undefined) {
    if (out.projectId !== undefined && out.projectId !== environment.projectId) {
      return { ok: false, message: `resource.projectId: environment "${environment.name}" belongs to project "${environment.projectId}"` };
    }
    if (out.clusterId !== undefined && out.clusterId !== environment.clusterId) {
      return {
        ok: false,
        message:
          environment.clusterId === undefined
            ? `resource.clusterId: environment "${environment.name}" is on no cluster`
            : `resource.clusterId: environment "${environment.name}" is on cluster "${environment.clusterId}"`,
      };
    }
    out.environmentId = environment.id;
    out.projectId = environment.projectId;
    if (environment.clusterId !== undefined) out.clusterId = environment.clusterId;
  }
  if (isDeployLike(action) && environment === undefined) return { ok: false, message: `resource.environmentId: ${action} needs an environment` };
  if (isClusterAction(action) && out.clusterId === undefined) return { ok: false, message: `resource.clusterId: ${action} needs a cluster` };
  return { ok: true, resource: out };
}
