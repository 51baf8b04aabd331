// What an approved gated request does (freeze, unfreeze, environment update, break-glass start).
// Applied in the same transaction as the approval that completed it.
import type { ApprovalRequest, Environment, User } from '../../shared/schemas/index.ts';
import type { Effect, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { applyEnvironmentPatch, applyFreeze, applyUnfreeze, patchBlocker } from './environments.ts';
import { openSession } from './breakglass.ts';

export async function applyEffect(ctx: ServiceContext, tx: StoreTx, request: ApprovalRequest, effect: Effect): Promise<void> {
  const requester = await tx.get('user', request.requesterId);
  const skip = (why: string) => audit(tx, ctx.now(), 'system', 'request.effect_skipped', request.id, { effect: effect.type, why });
  if (!requester) return void (await skip('the requester no longer exists'));
  if (effect.type === 'breakglass') {
    await openSession(ctx, tx, requester, effect, request.id);
    return;
  }
  const env: Environment | undefined = await tx.get('environment', effect.environmentId);
  if (!env) return void (await skip('the environment no longer exists'));
  switch (effect.type) {
    case 'freeze':
      if (env.protection === 'locked') return void (await skip(`environment "${env.name}" is already frozen`));
      await applyFreeze(ctx, tx, env, requester, effect.reason, effect.until, { requestId: request.id });
      return;
    case 'unfreeze':
      if (env.protection !== 'locked') return void (await skip(`environment "${env.name}" is not frozen`));
      await applyUnfreeze(ctx, tx, env, requester, effect.reason, { requestId: request.id });
      return;
    case 'environment.update': {
      const blocker = patchBlocker(env, effect.patch);
      if (blocker !== undefined) return void (await skip(blocker));
      await applyEnvironmentPatch(ctx, tx, env, requester as User, effect.patch, { requestId: request.id });
      return;
    }
    default:
      effect satisfies never;
  }
}
