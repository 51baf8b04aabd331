// `policy apply`'s plan: what to create, patch, bind, unbind and delete so the server holds the
// file's policies, matched by name. Only changed fields are patched, so applying a file twice (or
// an export) plans nothing.
import type { Binding, BindingScope, PatchPolicyBody, Policy } from '../../shared/schemas/index.ts';
import { compareText, type Directory, type ResolvedPolicy } from './policy-names.ts';

export type Step =
  | { kind: 'create'; name: string; body: ResolvedPolicy['body'] }
  | { kind: 'update'; id: string; name: string; patch: PatchPolicyBody; fields: string[] }
  | { kind: 'bind'; name: string; scope: BindingScope; targetId?: string; where: string }
  | { kind: 'unbind'; name: string; bindingId: string; where: string }
  | { kind: 'delete'; id: string; name: string; bindings: number };

const FIELDS = ['description', 'actions', 'approvers', 'quorum', 'conditions', 'requesterCanApprove', 'adminBypass', 'rules', 'escalation'] as const;

/** JSON with sorted keys: two values that mean the same compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => compareText(a, b))) : v,
  );
}

function savedField(policy: Policy, field: (typeof FIELDS)[number]): unknown {
  if (field === 'rules') return policy.rules ?? [];
  return policy[field];
}

function fileField(body: ResolvedPolicy['body'], field: (typeof FIELDS)[number]): unknown {
  if (field === 'rules') return body.rules ?? [];
  if (field === 'conditions') return body.conditions ?? {};
  return body[field];
}

/** "organization", "project checkout", "environment checkout/production" (as the plan prints it). */
export function bindingWhere(scope: BindingScope, targetId: string | undefined, dir: Directory): string {
  if (scope === 'organization' || targetId === undefined) return 'the organization';
  if (scope === 'project') return `project ${dir.projects.find((p) => p.id === targetId)?.name ?? targetId}`;
  if (scope === 'cluster') return `cluster ${dir.clusters.find((c) => c.id === targetId)?.name ?? targetId}`;
  const env = dir.environments.find((e) => e.id === targetId);
  const project = env && dir.projects.find((p) => p.id === env.projectId);
  return `environment ${env ? `${project?.name ?? env.projectId}/${env.name}` : targetId}`;
}

export function planApply(wanted: readonly ResolvedPolicy[], saved: { policies: readonly Policy[]; bindings: readonly Binding[] }, dir: Directory): Step[] {
  const steps: Step[] = [];
  const byName = new Map(saved.policies.map((p) => [p.name.toLowerCase(), p]));
  for (const w of wanted) {
    const name = w.body.name;
    const current = byName.get(name.toLowerCase());
    if (!current) steps.push({ kind: 'create', name, body: w.body });
    else {
      const fields = FIELDS.filter((f) => canonical(savedField(current, f)) !== canonical(fileField(w.body, f)));
      // A name differing only in case is the same policy renamed.
      const renamed = current.name !== name;
      if (fields.length > 0 || renamed) {
        const patch: Record<string, unknown> = renamed ? { name } : {};
        for (const f of fields) patch[f] = f === 'escalation' && w.body.escalation === undefined ? null : fileField(w.body, f);
        steps.push({ kind: 'update', id: current.id, name, patch: patch as PatchPolicyBody, fields: renamed ? ['name', ...fields] : fields });
      }
    }
    const have = current ? saved.bindings.filter((b) => b.policyId === current.id) : [];
    for (const b of w.bindings) {
      if (!have.some((h) => h.scope === b.scope && h.targetId === b.targetId)) {
        steps.push({
          kind: 'bind',
          name,
          scope: b.scope,
          ...(b.targetId !== undefined ? { targetId: b.targetId } : {}),
          where: bindingWhere(b.scope, b.targetId, dir),
        });
      }
    }
    for (const h of have) {
      if (!w.bindings.some((b) => h.scope === b.scope && h.targetId === b.targetId)) {
        steps.push({ kind: 'unbind', name, bindingId: h.id, where: bindingWhere(h.scope, h.targetId, dir) });
      }
    }
  }
  const kept = new Set(wanted.map((w) => w.body.name.toLowerCase()));
  for (const p of [...saved.policies].sort((a, b) => compareText(a.name, b.name))) {
    if (!kept.has(p.name.toLowerCase()))
      steps.push({ kind: 'delete', id: p.id, name: p.name, bindings: saved.bindings.filter((b) => b.policyId === p.id).length });
  }
  return steps;
}

export function stepLine(step: Step): string {
  switch (step.kind) {
    case 'create':
      return `+ create policy "${step.name}"`;
    case 'update':
      return `~ update policy "${step.name}": ${step.fields.join(', ')}`;
    case 'bind':
      return `+ bind "${step.name}" to ${step.where}`;
    case 'unbind':
      return `- unbind "${step.name}" from ${step.where}`;
    case 'delete':
      return `- delete policy "${step.name}"${step.bindings > 0 ? ` (and its ${step.bindings === 1 ? 'binding' : `${step.bindings} bindings`})` : ''}`;
  }
}
