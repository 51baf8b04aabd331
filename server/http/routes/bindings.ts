import type { FastifyInstance } from 'fastify';
import { CreateBindingBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createBinding, deleteBinding } from '../../domain/directory.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';

export function registerBindingRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const present = (binding: unknown) => ({ binding });

  app.post(
    '/api/bindings',
    mutationRoute(ctx, CreateBindingBody, (tx, body, req) => createBinding(ctx, tx, req.user, body), present),
  );
  app.get('/api/bindings', async () => ({ bindings: await ctx.store.list('binding') }));
  app.delete<IdParams>(
    '/api/bindings/:id',
    mutationRoute(ctx, null, (tx, _body, req) => deleteBinding(ctx, tx, req.user, req.params.id), present),
  );
}
