// API tokens and user activation. A user may hold several named tokens (desktop, CI), each
// revocable and optionally expiring; a secret is shown once, in the answer that made it, and only
// its SHA-256 is stored. Deactivating a user stops all their tokens at once; what they decided
// before stays decided.
import type { ApiToken, CreateTokenBody, User } from '../../shared/schemas/index.ts';
import { isAdmin } from '../../shared/policy/index.ts';
import type { StoreReader, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { conflict, forbidden, notFound } from './errors.ts';
import { hashToken, newId, newToken } from './ids.ts';
import { changed, created, type Result } from './result.ts';

const DAY_MS = 86_400_000;

/** Admins act on other users' tokens and activation; only owners act on owners. */
function assertMayManage(actor: User, target: User): void {
  if (actor.id === target.id) return;
  if (!isAdmin(actor)) throw forbidden("only owners and admins can manage another user's tokens");
  if (target.orgRole === 'owner' && actor.orgRole !== 'owner') throw forbidden("only owners can manage an owner's tokens or activation");
}

async function existingUser(tx: StoreReader, id: string): Promise<User> {
  const user = await tx.get('user', id);
  if (!user) throw notFound('user');
  return user;
}

/** Makes a token for `user` and returns it with its secret; audited as token.issued. */
export async function issueToken(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User | 'system',
  user: User,
  body: CreateTokenBody,
): Promise<{ token: ApiToken; secret: string }> {
  const now = ctx.now();
  const token: ApiToken = {
    id: newId('tok'),
    name: body.name,
    userId: user.id,
    createdAt: now.toISOString(),
    ...(body.expiresInDays !== undefined ? { expiresAt: new Date(now.getTime() + body.expiresInDays * DAY_MS).toISOString() } : {}),
  };
  const secret = newToken();
  await tx.addToken(token, hashToken(secret));
  await audit(tx, now, actor, 'token.issued', token.id, { userId: user.id, name: token.name, expiresAt: token.expiresAt });
  return { token, secret };
}

export async function createToken(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  userId: string,
  body: CreateTokenBody,
): Promise<Result<{ token: ApiToken; secret: string }>> {
  const user = await existingUser(tx, userId);
  assertMayManage(actor, user);
  if (user.active === false) throw conflict('deactivated', `user ${user.name} is deactivated: reactivate them first`);
  return created(await issueToken(ctx, tx, actor, user, body));
}

export async function listTokens(store: StoreReader, actor: User, userId: string | undefined): Promise<ApiToken[]> {
  if (userId === undefined || userId === actor.id) return store.listTokens(actor.id);
  if (!isAdmin(actor)) throw forbidden("only owners and admins can list another user's tokens");
  await existingUser(store, userId);
  return store.listTokens(userId);
}

export async function revokeToken(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<ApiToken>> {
  const token = await tx.getToken(id);
  if (!token) throw notFound('token');
  const owner = await tx.get('user', token.userId);
  if (owner) assertMayManage(actor, owner);
  else if (!isAdmin(actor)) throw notFound('token');
  await tx.removeToken(id);
  await audit(tx, ctx.now(), actor, 'token.revoked', id, { userId: token.userId, name: token.name });
  return changed(token);
}

export async function setActive(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, active: boolean): Promise<Result<User>> {
  if (!isAdmin(actor)) throw forbidden('only owners and admins can deactivate or reactivate a user');
  const user = await existingUser(tx, id);
  if (user.orgRole === 'owner' && actor.orgRole !== 'owner') throw forbidden('only owners can deactivate or reactivate an owner');
  if (!active && user.orgRole === 'owner' && user.active !== false) {
    const owners = (await tx.list('user')).filter((u) => u.orgRole === 'owner' && u.active !== false);
    if (owners.length <= 1) throw conflict('last_owner', 'the organisation must keep at least one active owner');
  }
  if ((user.active !== false) === active) return changed(user);
  const updated: User = { ...user, active };
  await tx.put('user', updated);
  await audit(tx, ctx.now(), actor, active ? 'user.reactivated' : 'user.deactivated', id, { name: user.name });
  return changed(updated);
}
