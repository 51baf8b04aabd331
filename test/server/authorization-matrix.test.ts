// The authorization matrix: every route of the server's table, called by every kind of caller,
// over HTTP. The expectations come from this file's own copy of the matrix, not from the server's
// table, so changing any cell there (or here) fails this test; the server's table is read only to
// check that no route is left unwalked.
//
// What a cell means: 401 (not authenticated), 403 from the authorization table (the body says
// which audience the route requires), or "past": the route's own checks answered (200, 400 for the
// empty body sent, 404 for the unknown id, or a resource-specific 403 such as "only owners can
// change an owner"). Bodies are deliberately empty and ids unknown, so walking the matrix changes
// nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CreatedTokenResponse, CreatedUserResponse, UserResponse } from '../../shared/schemas/index.ts';
import { AUTHORIZATION } from '../../server/http/authorization.ts';
import { apiFor, call, cleanupTempDirs, expectOk, initDir, killAll, startServer, uniq, type ServerProcess } from './harness.ts';
import { clockAt, nowMs } from '../clock.ts';

type Who = 'public' | 'signed-in' | 'admin' | 'freezer' | 'breakglass' | 'auditor';

/** The matrix as this test believes it must be: route → who may call it. */
const EXPECTED: [route: string, who: Who][] = [
  ['GET /healthz', 'public'],
  ['GET /api/me', 'signed-in'],
  ['GET /api/users', 'signed-in'],
  ['GET /api/users/:id', 'signed-in'],
  ['POST /api/users', 'admin'],
  ['PATCH /api/users/:id', 'admin'],
  ['POST /api/users/:id/deactivate', 'admin'],
  ['POST /api/users/:id/reactivate', 'admin'],
  ['POST /api/users/:id/tokens', 'admin'],
  ['GET /api/tokens', 'signed-in'],
  ['POST /api/tokens', 'signed-in'],
  ['DELETE /api/tokens/:id', 'signed-in'],
  ['GET /api/teams', 'signed-in'],
  ['POST /api/teams', 'admin'],
  ['GET /api/projects', 'signed-in'],
  ['POST /api/projects', 'admin'],
  ['GET /api/clusters', 'signed-in'],
  ['POST /api/clusters', 'admin'],
  ['GET /api/environments', 'signed-in'],
  ['GET /api/environments/:id', 'signed-in'],
  ['POST /api/environments', 'admin'],
  ['PATCH /api/environments/:id', 'freezer'],
  ['POST /api/environments/:id/freeze', 'freezer'],
  ['POST /api/environments/:id/unfreeze', 'freezer'],
  ['GET /api/policies', 'signed-in'],
  ['GET /api/policies/:id', 'signed-in'],
  ['POST /api/policies', 'admin'],
  ['PATCH /api/policies/:id', 'admin'],
  ['DELETE /api/policies/:id', 'admin'],
  ['POST /api/policies/evaluate', 'signed-in'],
  ['GET /api/bindings', 'signed-in'],
  ['POST /api/bindings', 'admin'],
  ['DELETE /api/bindings/:id', 'admin'],
  ['GET /api/requests', 'signed-in'],
  ['POST /api/requests', 'signed-in'],
  ['GET /api/requests/:id', 'signed-in'],
  ['GET /api/requests/:id/diff', 'signed-in'],
  ['POST /api/requests/:id/approve', 'signed-in'],
  ['POST /api/requests/:id/reject', 'signed-in'],
  ['POST /api/requests/:id/nudge', 'signed-in'],
  ['POST /api/requests/:id/cancel', 'signed-in'],
  ['GET /api/breakglass', 'signed-in'],
  ['POST /api/breakglass', 'breakglass'],
  ['POST /api/breakglass/:id/revoke', 'signed-in'],
  ['POST /api/breakglass/:id/review', 'auditor'],
  ['GET /api/audit', 'signed-in'],
  ['GET /api/audit/verify', 'signed-in'],
  ['GET /api/audit/export', 'signed-in'],
  ['GET /api/audit/checkpoints', 'signed-in'],
  ['GET /api/audit/public-key', 'signed-in'],
  ['GET /api/sync', 'signed-in'],
  ['GET /api/events', 'signed-in'],
  ['GET /api/channels', 'admin'],
  ['POST /api/channels', 'admin'],
  ['GET /api/channels/:id', 'admin'],
  ['PATCH /api/channels/:id', 'admin'],
  ['DELETE /api/channels/:id', 'admin'],
  ['GET /api/channels/:id/deliveries', 'admin'],
  ['POST /api/channels/:id/test', 'admin'],
  ['POST /api/deliveries/:id/redeliver', 'admin'],
  ['GET /api/settings', 'signed-in'],
  ['PATCH /api/settings', 'admin'],
  ['GET /api/me/preferences', 'signed-in'],
  ['PATCH /api/me/preferences', 'signed-in'],
  ['POST /api/unsubscribe/:token', 'public'],
  // Unsigned here: 404 on a server that is not a GitHub App, 401 on one that is.
  ['POST /integrations/github/webhook', 'public'],
  ['GET /api/integrations/github', 'admin'],
  ['GET /api/integrations/github/links', 'admin'],
  ['POST /api/integrations/github/links', 'admin'],
  ['DELETE /api/integrations/github/links/:id', 'admin'],
];

type Caller = 'owner' | 'admin' | 'member' | 'release-manager' | 'breakglass' | 'auditor' | 'deactivated' | 'expired' | 'revoked' | 'none';
const CALLERS: Caller[] = ['owner', 'admin', 'member', 'release-manager', 'breakglass', 'auditor', 'deactivated', 'expired', 'revoked', 'none'];

/** Written out by hand, cell by cell: 'past' | 401 | 403. */
function expected(who: Who, caller: Caller): 'past' | 401 | 403 {
  if (who === 'public') return 'past';
  if (caller === 'deactivated' || caller === 'expired' || caller === 'revoked' || caller === 'none') return 401;
  const admitted: Record<Exclude<Who, 'public'>, Caller[]> = {
    'signed-in': ['owner', 'admin', 'member', 'release-manager', 'breakglass', 'auditor'],
    admin: ['owner', 'admin'],
    freezer: ['owner', 'admin', 'release-manager'],
    breakglass: ['owner', 'admin', 'breakglass'],
    auditor: ['owner', 'admin', 'auditor'],
  };
  return admitted[who].includes(caller) ? 'past' : 403;
}

let server: ServerProcess | undefined;
const tokens = new Map<Caller, string | undefined>();

before(async () => {
  const { dir, ownerToken } = await initDir();
  // Set up on the real clock, then walk the matrix on a server whose clock is two days on, so a
  // one-day token has expired by then (and nothing else changes).
  const setup = await startServer(dir);
  const owner = apiFor(setup.url, ownerToken);
  const user = async (orgRole: 'admin' | 'member', roles: string[] = []) =>
    expectOk(await owner.post('/api/users', { name: uniq('matrix'), email: `${uniq('m')}@example.com`, orgRole, roles }), 201, CreatedUserResponse).token;
  tokens.set('owner', ownerToken);
  tokens.set('admin', await user('admin'));
  tokens.set('member', await user('member'));
  tokens.set('release-manager', await user('member', ['release-manager']));
  tokens.set('breakglass', await user('member', ['breakglass']));
  tokens.set('auditor', await user('member', ['auditor']));
  const deactivated = await user('member', ['release-manager']);
  const me = expectOk(await apiFor(setup.url, deactivated).get('/api/me'), 200, UserResponse).user;
  expectOk(await owner.post(`/api/users/${me.id}/deactivate`), 200, UserResponse);
  tokens.set('deactivated', deactivated);
  const member = apiFor(setup.url, tokens.get('member'));
  tokens.set('expired', expectOk(await member.post('/api/tokens', { name: 'short-lived', expiresInDays: 1 }), 201, CreatedTokenResponse).secret);
  const revoked = expectOk(await member.post('/api/tokens', { name: 'revoked' }), 201, CreatedTokenResponse);
  expectOk(await member.del(`/api/tokens/${revoked.token.id}`), 200, CreatedTokenResponse.pick({ token: true }));
  tokens.set('revoked', revoked.secret);
  tokens.set('none', undefined);
  await setup.stop();
  server = await startServer(dir, ['--clock', clockAt(new Date(nowMs() + 2 * 86_400_000).toISOString()).flag]);
});

after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

/** A concrete call for a route: unknown ids, empty bodies. */
function concrete(route: string): { method: string; path: string } {
  const [method, pattern] = route.split(' ') as [string, string];
  return { method, path: pattern.replace(':id', 'x_nothing').replace(':token', 'x_nothing') };
}

async function statusOf(method: string, path: string, token: string | undefined): Promise<{ status: number; requires?: string; text: string }> {
  if (path === '/api/events') {
    // A stream: the status line is enough.
    const ctl = new AbortController();
    const res = await fetch(new URL(path, server!.url), { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: ctl.signal });
    const text = res.status === 200 ? '' : await res.text();
    ctl.abort();
    return { status: res.status, text };
  }
  const res = await call(server!.url, token, method, path, method === 'GET' || method === 'DELETE' ? {} : { json: {} });
  const requires = (res.body as { error?: { details?: { requires?: string } } })?.error?.details?.requires;
  return { status: res.status, ...(requires ? { requires } : {}), text: res.text };
}

test('the matrix walks every route the server has, no more, no less', () => {
  assert.deepEqual(EXPECTED.map(([r]) => r).sort(), Object.keys(AUTHORIZATION).sort());
});

for (const [route, who] of EXPECTED) {
  test(`${route} is for ${who}`, async () => {
    const { method, path } = concrete(route);
    for (const caller of CALLERS) {
      const want = expected(who, caller);
      const got = await statusOf(method, path, tokens.get(caller));
      const where = `${route} as ${caller}: ${got.status} ${got.text.slice(0, 200)}`;
      if (want === 401) assert.equal(got.status, 401, where);
      else if (want === 403) {
        assert.equal(got.status, 403, where);
        assert.equal(got.requires, who, `${where} (refused by the authorization table)`);
      } else {
        assert.notEqual(got.status, 401, where);
        assert.ok(!(got.status === 403 && got.requires !== undefined), `${where} (the table refused an allowed caller)`);
        assert.ok(got.status < 500, where);
      }
    }
  });
}
