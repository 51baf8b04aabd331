// Which bindings reach a requested resource: organization, project, cluster, environment.
import type { Binding, Environment, Resource } from '../schemas/index.ts';

/**
 * Does this binding cover the resource? Project and cluster bindings match the resource's own ids
 * or those of its environment, so a deploy that names only an environment still meets the
 * project- and cluster-level policies above it.
 */
export function bindingCovers(binding: Binding, resource: Resource, environment: Environment | undefined): boolean {
  const target = binding.targetId;
  switch (binding.scope) {
    case 'organization':
      return true;
    case 'project':
      return target !== undefined && (target === resource.projectId || target === environment?.projectId);
    case 'cluster':
      return target !== undefined && (target === resource.clusterId || target === environment?.clusterId);
    case 'environment':
      return target !== undefined && target === (environment?.id ?? resource.environmentId);
    default:
      binding.scope satisfies never;
      return false;
  }
}

export function isPolicyBound(policyId: string, bindings: readonly Binding[], resource: Resource, environment: Environment | undefined): boolean {
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    if (b.policyId === policyId && bindingCovers(b, resource, environment)) return true;
  }
  return false;
}
