import type { FastifyInstance } from 'fastify';
import { CreatePolicyBody, PatchPolicyBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createPolicy, deletePolicy, patchPolicy } from '../../domain/directory.ts';
import { notFound } from '../../domain/errors.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';

export function registerPolicyRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;
  const present = (policy: unknown) => ({ policy });

  app.post(
    '/api/policies',
    mutationRoute(ctx, CreatePolicyBody, (tx, body, req) => createPolicy(ctx, tx, req.user, body), present),
  );
  app.get('/api/policies', async () => ({ policies: await store.list('policy') }));
  app.get<IdParams>('/api/policies/:id', async (req) => {
    const policy = await store.get('policy', req.params.id);
    if (!policy) throw notFound('policy');
    return { policy };
  });
  app.patch<IdParams>(
    '/api/policies/:id',
    mutationRoute(ctx, PatchPolicyBody, (tx, body, req) => patchPolicy(ctx, tx, req.user, req.params.id, body), present),
  );
  app.delete<IdParams>(
    '/api/policies/:id',
    mutationRoute(ctx, null, (tx, _body, req) => deletePolicy(ctx, tx, req.user, req.params.id), present),
  );
}
