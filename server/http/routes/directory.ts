import type { FastifyInstance } from 'fastify';
import {
  CreateBindingBody,
  CreateEnvironmentBody,
  CreatePolicyBody,
  CreateUserBody,
  NamedBody,
  PatchEnvironmentBody,
  PatchPolicyBody,
  PatchUserBody,
} from '../../../shared/schemas/index.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { createBinding, createNamed, createPolicy, createUser, deleteBinding, deletePolicy, patchPolicy, patchUser } from '../../domain/directory.ts';
import { createEnvironment, patchEnvironment } from '../../domain/environments.ts';
import { send } from '../app.ts';
import { notFound } from '../errors.ts';
import { mutation, type IdParams } from '../mutation.ts';
import { parse } from '../validate.ts';

export function registerDirectoryRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;

  app.get('/api/me', async (req) => ({ user: req.user }));

  app.post('/api/users', async (req, reply) => {
    const body = parse(CreateUserBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, async (tx) => ({ status: 201, body: await createUser(ctx, tx, req.user, body) })));
  });
  app.get('/api/users', async () => ({ users: await store.list('user') }));
  app.get<IdParams>('/api/users/:id', async (req) => {
    const user = await store.get('user', req.params.id);
    if (!user) throw notFound('user');
    return { user };
  });
  app.patch<IdParams>('/api/users/:id', async (req, reply) => {
    const body = parse(PatchUserBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => patchUser(ctx, tx, req.user, req.params.id, body)));
  });

  for (const [entity, plural] of [['team', 'teams'], ['project', 'projects'], ['cluster', 'clusters']] as const) {
    app.post(`/api/${plural}`, async (req, reply) => {
      const body = parse(NamedBody, req.body, 'body');
      return send(reply, await mutation(ctx, req, body, (tx) => createNamed(ctx, tx, req.user, entity, body)));
    });
    app.get(`/api/${plural}`, async () => ({ [plural]: await store.list(entity) }));
  }

  app.post('/api/environments', async (req, reply) => {
    const body = parse(CreateEnvironmentBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => createEnvironment(ctx, tx, req.user, body)));
  });
  app.get('/api/environments', async () => ({ environments: await store.list('environment') }));
  app.get<IdParams>('/api/environments/:id', async (req) => {
    const environment = await store.get('environment', req.params.id);
    if (!environment) throw notFound('environment');
    return { environment };
  });
  app.patch<IdParams>('/api/environments/:id', async (req, reply) => {
    const body = parse(PatchEnvironmentBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => patchEnvironment(ctx, tx, req.user, req.params.id, body)));
  });

  app.post('/api/policies', async (req, reply) => {
    const body = parse(CreatePolicyBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => createPolicy(ctx, tx, req.user, body)));
  });
  app.get('/api/policies', async () => ({ policies: await store.list('policy') }));
  app.get<IdParams>('/api/policies/:id', async (req) => {
    const policy = await store.get('policy', req.params.id);
    if (!policy) throw notFound('policy');
    return { policy };
  });
  app.patch<IdParams>('/api/policies/:id', async (req, reply) => {
    const body = parse(PatchPolicyBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => patchPolicy(ctx, tx, req.user, req.params.id, body)));
  });
  app.delete<IdParams>('/api/policies/:id', async (req, reply) => send(reply, await mutation(ctx, req, null, (tx) => deletePolicy(ctx, tx, req.user, req.params.id))));

  app.post('/api/bindings', async (req, reply) => {
    const body = parse(CreateBindingBody, req.body, 'body');
    return send(reply, await mutation(ctx, req, body, (tx) => createBinding(ctx, tx, req.user, body)));
  });
  app.get('/api/bindings', async () => ({ bindings: await store.list('binding') }));
  app.delete<IdParams>('/api/bindings/:id', async (req, reply) => send(reply, await mutation(ctx, req, null, (tx) => deleteBinding(ctx, tx, req.user, req.params.id))));
}
