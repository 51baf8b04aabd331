// "Your tokens" through the composed core against the real server: the list marks the token this
// app uses; revoking another leaves the app signed in; revoking its own signs it out, and the
// server refuses that token from then on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { apiFor, cleanupTempDirs, killAll, tempDir } from '../server/harness.ts';
import { RHEA, demoBackend, until, type Backend, MemorySecrets } from './helpers.ts';

let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

test('tokens.list marks the app’s own token; tokens.revoke of another keeps the session, of its own signs the app out', async () => {
  const rhea = b.api(RHEA);
  const made = await rhea.post('/api/tokens', { name: 'ci job', expiresInDays: 30 });
  assert.equal(made.status, 201, made.text);
  const secrets = new MemorySecrets();
  const core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-tokens-'),
    clock: testClock,
    secrets,
    notifications: { show() {}, close() {} },
    server: { url: b.url(), token: b.token(RHEA) },
  });
  try {
    await until(async () => (await call(core, 'status.get')).state === 'online', 30_000, 'online');
    const { tokens } = await call(core, 'tokens.list');
    assert.deepEqual(
      tokens.map((t: { name: string; current: boolean }) => [t.name, t.current]),
      [
        ['demo', true],
        ['ci job', false],
      ],
    );
    assert.ok(tokens[1].expiresAt, 'expiry shown');
    assert.equal(JSON.stringify(tokens).includes(made.body.secret), false, 'no secret in the list');

    const other = await call(core, 'tokens.revoke', { id: made.body.token.id });
    assert.deepEqual([other.token.id, other.signedOut], [made.body.token.id, false]);
    assert.equal((await call(core, 'session.get')).signedIn, true);
    assert.equal((await apiFor(b.url(), made.body.secret).get('/api/me')).status, 401, 'the revoked token is refused');

    const own = await call(core, 'tokens.revoke', { id: tokens[0].id });
    assert.equal(own.signedOut, true);
    const session = await call(core, 'session.get');
    assert.equal(session.signedIn, false);
    assert.equal(secrets.token, undefined, 'the token is forgotten');
    assert.equal((await rhea.get('/api/me')).status, 401, 'the server refuses it from now on');
  } finally {
    await core.close();
  }
});
