import type { FastifyInstance } from 'fastify';
import { CreatePolicyBody, EvaluatePolicyBody, PatchPolicyBody } from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createPolicy, deletePolicy, patchPolicy } from '../../domain/directory.ts';
import { dryRun } from '../../domain/dry-run.ts';
import { notFound } from '../../domain/errors.ts';
import { REQUEST_BODY_LIMIT } from '../body-limits.ts';
import { mutationRoute, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export function registerPolicyRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;
  const present = (policy: unknown) => ({ policy });

  app.post(
    '/api/policies',
    mutationRoute(ctx, CreatePolicyBody, (tx, body, req) => createPolicy(ctx, tx, req.user, body), present),
  );
  // Carries a request's payload (the diff), so it takes the same body size as creating one.
  app.post('/api/policies/evaluate', { bodyLimit: REQUEST_BODY_LIMIT }, async (req) =>
    dryRun(ctx, store, req.user, parse(EvaluatePolicyBody, req.body, 'body')),
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
