import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { AUTHORIZATION, admits, audienceOf, registerAuthorization } from './authorization.ts';
import { user } from '../../shared/policy/testing.ts';

test('registering a route that is not in the table fails at startup (deny by default)', async () => {
  const app = Fastify();
  registerAuthorization(app);
  app.get('/healthz', async () => ({ ok: true }));
  assert.throws(() => app.get('/api/secret-admin-thing', async () => ({})), /not in the authorization table/);
  assert.throws(() => app.post('/api/me', async () => ({})), /POST \/api\/me is not in the authorization table/);
  await app.close();
});

test('HEAD is judged as its GET; unknown methods have no audience', () => {
  assert.equal(audienceOf('HEAD', '/api/users'), 'signed-in');
  assert.equal(audienceOf('PUT', '/api/users'), undefined);
  assert.ok(Object.keys(AUTHORIZATION).every((k) => /^(GET|POST|PATCH|DELETE) \//.test(k)));
});

test('audiences: release managers may freeze, break-glass holders may break glass, neither is an admin', () => {
  const rm = user('rm', { roles: ['release-manager'] });
  const bg = user('bg', { roles: ['breakglass'] });
  const admin = user('ad', { orgRole: 'admin' });
  assert.deepEqual([admits('freezer', rm), admits('breakglass', rm), admits('admin', rm)], [true, false, false]);
  assert.deepEqual([admits('freezer', bg), admits('breakglass', bg), admits('admin', bg)], [false, true, false]);
  assert.deepEqual([admits('freezer', admin), admits('breakglass', admin), admits('admin', admin)], [true, true, true]);
});
