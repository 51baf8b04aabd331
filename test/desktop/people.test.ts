// People through the composed core against the real server, signed in as the admin: a user made
// and changed shows in the cached directory at once; a token made for them works until it is
// revoked; deactivating them refuses every token of theirs; the server's refusals (an admin
// editing an owner, a member creating anyone) arrive as they are, and change nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { apiFor, cleanupTempDirs, killAll, tempDir } from '../server/harness.ts';
import { OLIVIA, RHEA, demoBackend, until, type Backend, MemorySecrets } from './helpers.ts';

const ADAM = 'adam.kowalski@example.com';
let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function coreAs(email: string): Promise<DesktopCore> {
  const core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-people-'),
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: { show() {}, close() {} },
    server: { url: b.url(), token: b.token(email) },
  });
  await until(async () => ((await core.dispatch('status.get', {})) as any).data.state === 'online', 30_000, 'online');
  return core;
}

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

async function refusal(core: DesktopCore, channel: string, input: unknown): Promise<{ code: string; message: string }> {
  const r = await core.dispatch(channel, input);
  assert.equal(r.ok, false, `${channel} should be refused`);
  return (r as { ok: false; error: { code: string; message: string } }).error;
}

test('an admin creates a user and a team, gives them a token, revokes it, deactivates them', async () => {
  const core = await coreAs(ADAM);
  const changed: string[][] = [];
  core.subscribe((event, payload) => {
    if (event === 'cache.changed') changed.push((payload as { entities: string[] }).entities);
  });
  try {
    const { team } = await call(core, 'teams.create', { name: 'Data' });
    assert.ok(
      (await call(core, 'directory.get')).teams.some((t: { id: string }) => t.id === team.id),
      'the team is cached at once',
    );

    const made = await call(core, 'users.create', {
      name: 'Zoe Park',
      email: 'zoe.park@example.com',
      orgRole: 'member',
      roles: ['tech-lead'],
      teamIds: [team.id],
    });
    assert.match(made.token, /^ghs_/);
    const cached = (await call(core, 'directory.get')).users.find((u: { id: string }) => u.id === made.user.id);
    assert.deepEqual([cached?.name, cached?.roles, cached?.teamIds], ['Zoe Park', ['tech-lead'], [team.id]]);
    assert.ok(changed.some((e) => e.includes('team')) && changed.some((e) => e.includes('user')), 'each change is announced by the time its answer arrives');
    assert.equal((await apiFor(b.url(), made.token).get('/api/me')).status, 200, 'the first token works');

    const { user } = await call(core, 'users.update', { id: made.user.id, orgRole: 'admin', roles: [], teamIds: [] });
    assert.deepEqual([user.orgRole, user.roles, user.teamIds], ['admin', [], []]);
    assert.equal((await call(core, 'directory.get')).users.find((u: { id: string }) => u.id === made.user.id).orgRole, 'admin');

    const ci = await call(core, 'tokens.create', { name: 'ci job', expiresInDays: 90, userId: made.user.id });
    assert.equal(ci.token.userId, made.user.id);
    assert.ok(ci.token.expiresAt, 'expires');
    assert.equal((await apiFor(b.url(), ci.secret).get('/api/me')).status, 200);
    const theirs = await call(core, 'tokens.list', { userId: made.user.id });
    assert.deepEqual(
      theirs.tokens.map((t: { name: string; current: boolean }) => [t.name, t.current]),
      [
        ['initial', false],
        ['ci job', false],
      ],
    );
    const revoked = await call(core, 'tokens.revoke', { id: ci.token.id });
    assert.equal(revoked.signedOut, false, 'revoking someone else’s token keeps this app signed in');
    assert.equal((await apiFor(b.url(), ci.secret).get('/api/me')).status, 401, 'the revoked token is refused');

    const off = await call(core, 'users.deactivate', { id: made.user.id });
    assert.equal(off.user.active, false);
    assert.equal((await call(core, 'directory.get')).users.find((u: { id: string }) => u.id === made.user.id).active, false);
    assert.equal((await apiFor(b.url(), made.token).get('/api/me')).status, 401, 'a deactivated user’s tokens are refused');
    assert.equal((await refusal(core, 'tokens.create', { name: 'again', userId: made.user.id })).code, 'deactivated');
    assert.equal((await call(core, 'users.reactivate', { id: made.user.id })).user.active, true);
    assert.equal((await apiFor(b.url(), made.token).get('/api/me')).status, 200, 'reactivated: the token works again');

    const own = await call(core, 'tokens.create', { name: 'laptop' });
    assert.equal(own.token.userId, (await call(core, 'session.get')).user.id, 'without userId: a token for yourself');

    const olivia = (await call(core, 'directory.get')).users.find((u: { email: string }) => u.email === OLIVIA);
    const owner = await refusal(core, 'users.update', { id: olivia.id, roles: ['x'] });
    assert.deepEqual([owner.code, owner.message], ['forbidden', 'only owners can change an owner']);
    assert.deepEqual((await call(core, 'directory.get')).users.find((u: { id: string }) => u.id === olivia.id).roles, olivia.roles, 'nothing changed');
    assert.equal((await refusal(core, 'users.create', { name: 'Again', email: 'ZOE.PARK@example.com', orgRole: 'member' })).code, 'email_taken');
  } finally {
    await core.close();
  }
});

test('a member is refused every people change by the server', async () => {
  const core = await coreAs(RHEA);
  try {
    const before = (await call(core, 'directory.get')).users.length;
    assert.equal((await refusal(core, 'users.create', { name: 'Nobody', email: 'nobody@example.com', orgRole: 'member' })).code, 'forbidden');
    assert.equal((await refusal(core, 'teams.create', { name: 'Shadow' })).code, 'forbidden');
    const sam = (await call(core, 'directory.get')).users.find((u: { email: string }) => u.email === 'sam.ortiz@example.com');
    assert.equal((await refusal(core, 'users.deactivate', { id: sam.id })).code, 'forbidden');
    assert.equal((await refusal(core, 'tokens.list', { userId: sam.id })).code, 'forbidden');
    assert.equal((await refusal(core, 'tokens.create', { name: 'for sam', userId: sam.id })).code, 'forbidden');
    assert.equal((await call(core, 'directory.get')).users.length, before);
  } finally {
    await core.close();
  }
});
