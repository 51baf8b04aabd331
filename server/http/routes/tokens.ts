// Named API tokens: list your own (admins: anyone's), make one for yourself or (admins) for
// someone else, revoke one. A secret is in the answer that made it and nowhere else.
import type { FastifyInstance } from 'fastify';
import { CreateTokenBody, TokensQuery, type ApiToken } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createToken, listTokens, revokeToken } from '../../domain/tokens.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export function registerTokenRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const withSecret = (made: { token: ApiToken; secret: string }) => made;
  const withoutSecret = (made: { token: ApiToken; secret: string }) => ({ token: made.token });

  app.get('/api/tokens', async (req) => {
    const q = parse(TokensQuery, req.query, 'query');
    return { tokens: await listTokens(ctx.store, req.user, q.userId) };
  });
  app.post(
    '/api/tokens',
    mutationRoute(ctx, CreateTokenBody, (tx, body, req) => createToken(ctx, tx, req.user, req.user.id, body), withSecret, withoutSecret),
  );
  app.post<IdParams>(
    '/api/users/:id/tokens',
    mutationRoute(ctx, CreateTokenBody, (tx, body, req) => createToken(ctx, tx, req.user, req.params.id, body), withSecret, withoutSecret),
  );
  app.delete<IdParams>(
    '/api/tokens/:id',
    mutationRoute(
      ctx,
      null,
      (tx, _body, req) => revokeToken(ctx, tx, req.user, req.params.id),
      (token) => ({ token }),
    ),
  );
}
