// Environments: creation, protection changes, and the one-click freeze / unfreeze. Each change is
// an action of its own (environment.policyUpdate, environment.freeze, environment.unfreeze; see
// docs/policies.md), so policies can gate it: a gated change is held as a pending request.
import type { Environment, Protection, Reviewers, User } from '../../shared/schemas/index.ts';
import type { CreateEnvironmentBody, FreezeBody, PatchEnvironmentBody, UnfreezeBody } from '../../shared/schemas/index.ts';
import { isAdmin, mayChangeProtection, mayFreeze, PROTECTION_AUTHORITY_REFUSAL } from '../../shared/policy/index.ts';
import type { Effect, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { createRequest } from './create-request.ts';
import { conflict, forbidden, invalid, notFound } from './errors.ts';
import { bypassDetails, evaluate, refuse, type Evaluated } from './evaluate.ts';
import { newId } from './ids.ts';
import { assertRefs } from './refs.ts';
import { changed, created, held, type Result } from './result.ts';

type EnvironmentPatch = Extract<Effect, { type: 'environment.update' }>['patch'];

interface Provenance {
  requestId?: string;
  evaluated?: Evaluated;
}

function provenanceDetails(p: Provenance) {
  return {
    ...(p.requestId ? { requestId: p.requestId } : {}),
    ...(p.evaluated ? { bypassed: bypassDetails(p.evaluated.evaluation), warnings: p.evaluated.evaluation.warnings } : {}),
  };
}

/** Why a held patch can no longer apply as asked (the environment changed meanwhile), or undefined. */
export function patchBlocker(env: Environment, patch: EnvironmentPatch): string | undefined {
  if (env.freeze && patch.protection !== undefined) return `environment "${env.name}" was frozen meanwhile: unfreeze it and ask again`;
  const protection = patch.protection ?? env.protection;
  const reviewers = patch.reviewers ?? env.reviewers;
  if (protection === 'restricted' && reviewers.userIds.length === 0 && reviewers.teamIds.length === 0) {
    return `environment "${env.name}" would be restricted without reviewers`;
  }
  return undefined;
}

/** "Change production: protection restricted → none; reviewers Sam Lee, SRE team" (what an approver reads). */
async function patchSummary(tx: StoreTx, env: Environment, patch: EnvironmentPatch): Promise<string> {
  const parts: string[] = [];
  if (patch.protection !== undefined) parts.push(`protection ${env.protection} → ${patch.protection}`);
  if (patch.reviewers !== undefined) {
    const users = await Promise.all(patch.reviewers.userIds.map(async (id) => (await tx.get('user', id))?.name ?? id));
    const teams = await Promise.all(patch.reviewers.teamIds.map(async (id) => `${(await tx.get('team', id))?.name ?? id} team`));
    const names = [...users, ...teams];
    parts.push(`reviewers ${names.length === 0 ? 'none' : names.join(', ')}`);
  }
  return `Change ${env.name}: ${parts.length === 0 ? 'nothing' : parts.join('; ')}`;
}

/** A Restricted environment without reviewers would hold every member's deploy forever. */
function assertReviewable(protection: Protection, reviewers: Reviewers | undefined): void {
  if (protection === 'restricted' && !reviewers?.userIds.length && !reviewers?.teamIds.length) {
    throw invalid('reviewers: a restricted environment needs at least one reviewer (user or team)', [
      { path: ['reviewers'], message: 'at least one reviewer is required when protection is restricted' },
    ]);
  }
}

async function existingEnvironment(tx: StoreTx, id: string): Promise<Environment> {
  const env = await tx.get('environment', id);
  if (!env) throw notFound('environment');
  return env;
}

export async function createEnvironment(ctx: ServiceContext, tx: StoreTx, actor: User, body: CreateEnvironmentBody): Promise<Result<Environment>> {
  if (!isAdmin(actor)) throw forbidden('only owners and admins can create an environment');
  if (!(await tx.get('project', body.projectId))) throw invalid(`projectId: unknown project "${body.projectId}"`);
  await assertRefs(tx, [
    ['cluster', body.clusterId === undefined ? [] : [body.clusterId], 'clusterId'],
    ['user', body.reviewers?.userIds, 'reviewers.userIds'],
    ['team', body.reviewers?.teamIds, 'reviewers.teamIds'],
  ]);
  assertReviewable(body.protection ?? 'none', body.reviewers);
  const siblings = (await tx.list('environment')).filter((e) => e.projectId === body.projectId);
  if (siblings.some((e) => e.name.toLowerCase() === body.name.toLowerCase())) {
    throw conflict('conflict', `project already has an environment named "${body.name}"`);
  }
  const environment: Environment = {
    id: newId('env'),
    projectId: body.projectId,
    ...(body.clusterId !== undefined ? { clusterId: body.clusterId } : {}),
    name: body.name,
    protection: body.protection ?? 'none',
    reviewers: { userIds: body.reviewers?.userIds ?? [], teamIds: body.reviewers?.teamIds ?? [] },
  };
  await tx.put('environment', environment);
  await audit(tx, ctx.now(), actor, 'environment.created', environment.id, { environment });
  return created(environment);
}

export async function applyFreeze(
  ctx: ServiceContext,
  tx: StoreTx,
  env: Environment,
  by: User,
  reason: string,
  until: string | undefined,
  p: Provenance,
): Promise<Environment> {
  const now = ctx.now();
  const frozen: Environment = {
    ...env,
    protection: 'locked',
    freeze: { by: by.id, at: now.toISOString(), reason, ...(until ? { until } : {}), previousProtection: env.protection },
  };
  await tx.put('environment', frozen);
  await audit(
    tx,
    now,
    by,
    'environment.frozen',
    env.id,
    { name: env.name, reason, until, previousProtection: env.protection, ...provenanceDetails(p) },
    p.evaluated?.evaluation.breakGlassSessionId,
  );
  return frozen;
}

export async function applyUnfreeze(
  ctx: ServiceContext,
  tx: StoreTx,
  env: Environment,
  by: User | 'system',
  reason: string | undefined,
  p: Provenance,
): Promise<Environment> {
  const now = ctx.now();
  // An environment locked by hand (PATCH) has no freeze record; restoring 'restricted' is the safe guess.
  const restored: Protection = env.freeze?.previousProtection ?? 'restricted';
  const { freeze: _old, ...rest } = env;
  const unfrozen: Environment = { ...rest, protection: restored };
  await tx.put('environment', unfrozen);
  await audit(
    tx,
    now,
    by,
    'environment.unfrozen',
    env.id,
    { name: env.name, reason, restoredProtection: restored, frozenBy: env.freeze?.by, frozenAt: env.freeze?.at, ...provenanceDetails(p) },
    p.evaluated?.evaluation.breakGlassSessionId,
  );
  return unfrozen;
}

export async function applyEnvironmentPatch(
  ctx: ServiceContext,
  tx: StoreTx,
  env: Environment,
  by: User,
  patch: EnvironmentPatch,
  p: Provenance,
): Promise<Environment> {
  const updated: Environment = {
    ...env,
    ...(patch.protection !== undefined ? { protection: patch.protection } : {}),
    ...(patch.reviewers !== undefined ? { reviewers: patch.reviewers } : {}),
  };
  await tx.put('environment', updated);
  await audit(
    tx,
    ctx.now(),
    by,
    'environment.updated',
    env.id,
    { before: { protection: env.protection, reviewers: env.reviewers }, after: patch, ...provenanceDetails(p) },
    p.evaluated?.evaluation.breakGlassSessionId,
  );
  return updated;
}

export async function patchEnvironment(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: PatchEnvironmentBody): Promise<Result<Environment>> {
  const env = await existingEnvironment(tx, id);
  // A release manager may ask; the engine then holds the change for an owner or admin (authorityGate).
  if (!mayChangeProtection(actor)) throw forbidden(PROTECTION_AUTHORITY_REFUSAL);
  if (env.freeze && body.protection !== undefined) throw conflict('frozen', `environment "${env.name}" is frozen: unfreeze it before changing its protection`);
  await assertRefs(tx, [
    ['user', body.reviewers?.userIds, 'reviewers.userIds'],
    ['team', body.reviewers?.teamIds, 'reviewers.teamIds'],
  ]);
  assertReviewable(body.protection ?? env.protection, body.reviewers ?? env.reviewers);
  const patch = {
    ...(body.protection !== undefined ? { protection: body.protection } : {}),
    ...(body.reviewers !== undefined ? { reviewers: { userIds: body.reviewers.userIds, teamIds: body.reviewers.teamIds } } : {}),
  };
  const summary = await patchSummary(tx, env, patch);
  const e = await evaluate(ctx, tx, actor, 'environment.policyUpdate', { environmentId: id }, summary);
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, 'environment.policyUpdate', e);
  if (e.evaluation.outcome === 'pending') {
    return held(
      await createRequest(ctx, tx, actor, e, {
        action: 'environment.policyUpdate',
        justification: summary,
        payload: { summary },
        effect: { type: 'environment.update', environmentId: id, patch },
      }),
    );
  }
  return changed(await applyEnvironmentPatch(ctx, tx, env, actor, patch, { evaluated: e }));
}

export async function freeze(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: FreezeBody): Promise<Result<Environment>> {
  // Authority comes before gating: policies (and break-glass) only judge those who may freeze.
  if (!mayFreeze(actor)) throw forbidden('only owners, admins and release managers can freeze an environment');
  const env = await existingEnvironment(tx, id);
  if (env.protection === 'locked') throw conflict('already_frozen', `environment "${env.name}" is already frozen`);
  const until = body.until === undefined ? undefined : new Date(body.until);
  if (until && until.getTime() <= ctx.now().getTime()) throw invalid('until: must be in the future', [{ path: ['until'], message: 'must be in the future' }]);
  const e = await evaluate(ctx, tx, actor, 'environment.freeze', { environmentId: id }, body.reason);
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, 'environment.freeze', e);
  const untilIso = until?.toISOString();
  if (e.evaluation.outcome === 'pending') {
    const request = await createRequest(ctx, tx, actor, e, {
      action: 'environment.freeze',
      justification: body.reason,
      payload: { summary: `Freeze ${env.name}${untilIso ? ` until ${untilIso}` : ''}: ${body.reason}` },
      effect: { type: 'freeze', environmentId: id, reason: body.reason, ...(untilIso ? { until: untilIso } : {}) },
    });
    return held(request);
  }
  return changed(await applyFreeze(ctx, tx, env, actor, body.reason, untilIso, { evaluated: e }));
}

export async function unfreeze(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, body: UnfreezeBody): Promise<Result<Environment>> {
  if (!mayFreeze(actor)) throw forbidden('only owners, admins and release managers can unfreeze an environment');
  const env = await existingEnvironment(tx, id);
  if (env.protection !== 'locked') throw conflict('not_frozen', `environment "${env.name}" is not frozen`);
  const reason = body.reason ?? '';
  const e = await evaluate(ctx, tx, actor, 'environment.unfreeze', { environmentId: id }, reason);
  if (e.evaluation.outcome === 'deny') return refuse(ctx, tx, actor, 'environment.unfreeze', e);
  if (e.evaluation.outcome === 'pending') {
    const request = await createRequest(ctx, tx, actor, e, {
      action: 'environment.unfreeze',
      justification: reason,
      payload: { summary: `Unfreeze ${env.name}${reason ? `: ${reason}` : ''}` },
      effect: { type: 'unfreeze', environmentId: id, ...(body.reason ? { reason: body.reason } : {}) },
    });
    return held(request);
  }
  return changed(await applyUnfreeze(ctx, tx, env, actor, body.reason, { evaluated: e }));
}

/** `until` passed: unfreeze on the system's behalf. */
export async function autoUnfreeze(ctx: ServiceContext, tx: StoreTx, id: string): Promise<void> {
  const env = await tx.get('environment', id);
  if (!env?.freeze?.until || Date.parse(env.freeze.until) > ctx.now().getTime()) return;
  await applyUnfreeze(ctx, tx, env, 'system', `freeze ended at ${env.freeze.until}`, {});
}
