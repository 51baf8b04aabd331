import type { FastifyInstance } from 'fastify';
import { CreateUserBody, PatchUserBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createUser, patchUser } from '../../domain/directory.ts';
import { setActive } from '../../domain/tokens.ts';
import { notFound } from '../../domain/errors.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';

export function registerUserRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;

  // The caller and the token they called with (never its secret): a client can tell its own token in GET /api/tokens.
  app.get('/api/me', async (req) => ({ user: req.user, token: req.token }));

  // The body carries the new user's token: shown this once, stored only hashed; a replay answers {user}.
  app.post(
    '/api/users',
    mutationRoute(
      ctx,
      CreateUserBody,
      (tx, body, req) => createUser(ctx, tx, req.user, body),
      (created) => created,
      ({ user }) => ({ user }),
    ),
  );
  app.get('/api/users', async () => ({ users: await store.list('user') }));
  app.get<IdParams>('/api/users/:id', async (req) => {
    const user = await store.get('user', req.params.id);
    if (!user) throw notFound('user');
    return { user };
  });
  app.patch<IdParams>(
    '/api/users/:id',
    mutationRoute(
      ctx,
      PatchUserBody,
      (tx, body, req) => patchUser(ctx, tx, req.user, req.params.id, body),
      (user) => ({ user }),
    ),
  );
  for (const [verb, active] of [
    ['deactivate', false],
    ['reactivate', true],
  ] as const) {
    app.post<IdParams>(
      `/api/users/:id/${verb}`,
      mutationRoute(
        ctx,
        null,
        (tx, _body, req) => setActive(ctx, tx, req.user, req.params.id, active),
        (user) => ({ user }),
      ),
    );
  }
}
