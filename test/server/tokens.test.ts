// Named tokens and user activation over HTTP: several tokens per user, expiry, revocation,
// deactivation, who may do what, and that a secret is shown once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditResponse, CreatedTokenResponse, TokenResponse, TokensResponse, UserResponse } from '../../shared/schemas/index.ts';
import { apiFor, expectError, expectOk, uniq, waitFor } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';
import { nowMs } from '../clock.ts';

let org: Org;
let base = '';

useOrgServer((server, o) => {
  org = o;
  base = server.url;
});

describe('tokens', () => {
  test('a user lists their tokens (the first one is "initial"), makes named ones, several at once; secrets are never listed', async () => {
    const u = await org.user(uniq('Tess'), 'member');
    const first = expectOk(await u.api.get('/api/tokens'), 200, TokensResponse).tokens;
    assert.deepEqual(
      first.map((t) => [t.name, t.userId]),
      [['initial', u.id]],
    );
    const ci = expectOk(await u.api.post('/api/tokens', { name: 'CI', expiresInDays: 30 }), 201, CreatedTokenResponse);
    const desk = expectOk(await u.api.post('/api/tokens', { name: 'desktop' }), 201, CreatedTokenResponse);
    assert.match(ci.secret, /^ghs_/);
    assert.equal(ci.token.userId, u.id);
    assert.ok(Math.abs(Date.parse(ci.token.expiresAt!) - (nowMs() + 30 * 86_400_000)) < 120_000);
    assert.equal(desk.token.expiresAt, undefined);
    for (const secret of [ci.secret, desk.secret]) assert.equal((await apiFor(base, secret).get('/api/me')).status, 200);
    const listed = await u.api.get('/api/tokens');
    assert.deepEqual(
      expectOk(listed, 200, TokensResponse).tokens.map((t) => t.name),
      ['initial', 'CI', 'desktop'],
    );
    assert.ok(!listed.text.includes(ci.secret) && !listed.text.includes(desk.secret));
    const used = await waitFor(async () => {
      const t = expectOk(await u.api.get('/api/tokens'), 200, TokensResponse).tokens.find((x) => x.id === ci.token.id);
      return t?.lastUsedAt ? t : undefined;
    }, 5000);
    assert.ok(used, 'lastUsedAt is recorded');
  });

  test('an idempotent replay of POST /api/tokens answers {token} without the secret', async () => {
    const key = uniq('tok');
    const first = expectOk(await org.m1.api.post('/api/tokens', { name: 'replayed' }, { 'idempotency-key': key }), 201, CreatedTokenResponse);
    const again = await org.m1.api.post('/api/tokens', { name: 'replayed' }, { 'idempotency-key': key });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, { token: first.token });
    assert.ok(!again.text.includes(first.secret));
  });

  test("admins list and issue other users' tokens; members may not; only owners issue an owner's", async () => {
    const u = await org.user(uniq('Uma'), 'member');
    expectError(await org.m1.api.get(`/api/tokens?userId=${u.id}`), 403, 'forbidden');
    assert.equal(expectOk(await org.admin.api.get(`/api/tokens?userId=${u.id}`), 200, TokensResponse).tokens.length, 1);
    const made = expectOk(await org.admin.api.post(`/api/users/${u.id}/tokens`, { name: 'issued by admin' }), 201, CreatedTokenResponse);
    assert.equal(made.token.userId, u.id);
    assert.equal(expectOk(await apiFor(base, made.secret).get('/api/me'), 200, UserResponse).user.id, u.id);
    expectError(await org.m1.api.post(`/api/users/${u.id}/tokens`, { name: 'x' }), 403, 'forbidden');
    expectError(await org.admin.api.post(`/api/users/${org.owner.id}/tokens`, { name: 'x' }), 403, 'forbidden');
    expectOk(await org.owner.api.post(`/api/users/${org.owner.id}/tokens`, { name: 'spare' }), 201, CreatedTokenResponse);
    expectError(await org.admin.api.post('/api/users/usr_nobody/tokens', { name: 'x' }), 404, 'not_found');
    expectError(await org.m1.api.post('/api/tokens', { name: 'x', expiresInDays: 0 }), 400, 'invalid_request');
  });

  test('revoking: its user or an admin; 401 from then on; 404 for an unknown token; audited', async () => {
    const u = await org.user(uniq('Rev'), 'member');
    const a = expectOk(await u.api.post('/api/tokens', { name: 'a' }), 201, CreatedTokenResponse);
    const b = expectOk(await u.api.post('/api/tokens', { name: 'b' }), 201, CreatedTokenResponse);
    expectError(await org.m1.api.del(`/api/tokens/${a.token.id}`), 403, 'forbidden');
    assert.deepEqual(expectOk(await u.api.del(`/api/tokens/${a.token.id}`), 200, TokenResponse).token, a.token);
    expectError(await apiFor(base, a.secret).get('/api/me'), 401, 'unauthorized');
    expectOk(await org.admin.api.del(`/api/tokens/${b.token.id}`), 200, TokenResponse);
    expectError(await apiFor(base, b.secret).get('/api/me'), 401, 'unauthorized');
    expectError(await u.api.del(`/api/tokens/${a.token.id}`), 404, 'not_found');
    const events = expectOk(await org.owner.api.get(`/api/audit?subject=${a.token.id}`), 200, AuditResponse).events;
    assert.deepEqual(
      events.map((e) => [e.type, e.actorId]),
      [
        ['token.issued', u.id],
        ['token.revoked', u.id],
      ],
    );
    assert.ok(!JSON.stringify(events).includes(a.secret));
  });
});

describe('deactivation', () => {
  test('deactivate: 401 at once for every token, decisions kept; reactivate: the tokens work again; audited', async () => {
    const u = await org.user(uniq('Dee'), 'member');
    const spare = expectOk(await u.api.post('/api/tokens', { name: 'spare' }), 201, CreatedTokenResponse);
    const off = expectOk(await org.admin.api.post(`/api/users/${u.id}/deactivate`), 200, UserResponse).user;
    assert.equal(off.active, false);
    expectError(await u.api.get('/api/me'), 401, 'unauthorized', 'this user is deactivated');
    expectError(await apiFor(base, spare.secret).get('/api/me'), 401, 'unauthorized');
    assert.equal(expectOk(await org.m1.api.get(`/api/users/${u.id}`), 200, UserResponse).user.active, false);
    expectError(await org.admin.api.post(`/api/users/${u.id}/tokens`, { name: 'x' }), 409, 'deactivated');
    const on = expectOk(await org.admin.api.post(`/api/users/${u.id}/reactivate`), 200, UserResponse).user;
    assert.equal(on.active, true);
    assert.equal((await u.api.get('/api/me')).status, 200);
    const types = expectOk(await org.owner.api.get(`/api/audit?subject=${u.id}`), 200, AuditResponse).events.map((e) => e.type);
    assert.deepEqual(types, ['user.created', 'user.deactivated', 'user.reactivated']);
  });

  test('members may not; only owners deactivate owners; the last active owner stays', async () => {
    expectError(await org.m1.api.post(`/api/users/${org.m2.id}/deactivate`), 403, 'forbidden');
    expectError(await org.admin.api.post(`/api/users/${org.owner.id}/deactivate`), 403, 'forbidden');
    expectError(await org.owner.api.post(`/api/users/${org.owner.id}/deactivate`), 409, 'last_owner');
    const second = await org.user(uniq('Second Owner'), 'owner');
    expectOk(await org.owner.api.post(`/api/users/${second.id}/deactivate`), 200, UserResponse);
    expectError(await org.owner.api.post(`/api/users/${org.owner.id}/deactivate`), 409, 'last_owner', 'the organisation must keep at least one active owner');
    expectOk(await org.owner.api.post(`/api/users/${second.id}/reactivate`), 200, UserResponse);
    expectError(await org.admin.api.post('/api/users/usr_nobody/deactivate'), 404, 'not_found');
  });

  test('new users are active', async () => {
    const u = await org.user(uniq('New'), 'member');
    assert.equal(u.active, true);
  });
});
