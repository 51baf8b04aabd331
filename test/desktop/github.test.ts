// The GitHub channels through the composed core against the real server started as a GitHub App:
// the admin reads the App's status with the webhook URL to paste, links a repository (a duplicate
// in other case refused 409, an unknown project 400, a bad name before it leaves, nothing made),
// unlinks it (twice: 404); a member is refused in the server's words; people carry a GitHub login
// (another's refused 409); offline, every channel says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { cleanupTempDirs, demoDir, killAll, ServerProcess, tempDir } from '../server/harness.ts';
import { appKeys } from '../server/fake-github.ts';
import { MemorySecrets, RHEA, SAM, until } from './helpers.ts';

const ADAM = 'adam.kowalski@example.com';
const APP_ID = '424242';
/** Never called here: no webhook arrives, so the server never asks GitHub anything. */
const API_URL = 'http://127.0.0.1:9/api/v3';

let server: ServerProcess;
let token: (email: string) => string;

before(async () => {
  const demo = await demoDir();
  token = demo.token;
  const dir = tempDir('gh-app-');
  const keyFile = join(dir, 'app.pem');
  const secretFile = join(dir, 'webhook-secret');
  writeFileSync(keyFile, appKeys().privatePem);
  writeFileSync(secretFile, 'a-webhook-secret-of-some-length\n');
  server = await new ServerProcess(demo.dir, [
    '--github-app-id',
    APP_ID,
    '--github-private-key',
    keyFile,
    '--github-webhook-secret-file',
    secretFile,
    '--github-api-url',
    API_URL,
  ]).start();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function coreAs(email: string): Promise<DesktopCore> {
  const core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-github-'),
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: { show() {}, close() {} },
    server: { url: server.url, token: token(email) },
  });
  await until(async () => ((await core.dispatch('status.get', {})) as any).data.state === 'online', 30_000, 'online');
  return core;
}

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

async function refusal(core: DesktopCore, channel: string, input: unknown = {}): Promise<{ code: string; message: string; status?: number }> {
  const r = await core.dispatch(channel, input);
  assert.equal(r.ok, false, `${channel} should be refused`);
  return (r as { ok: false; error: { code: string; message: string; status?: number } }).error;
}

test('an admin sees the App, links a repository, is refused a duplicate and an unknown project, and unlinks it', async () => {
  const core = await coreAs(ADAM);
  try {
    const status = await call(core, 'github.status');
    assert.deepEqual(status, {
      configured: true,
      appId: APP_ID,
      apiUrl: API_URL,
      webhookPath: '/integrations/github/webhook',
      webhookUrl: `${server.url}/integrations/github/webhook`,
    });
    assert.deepEqual((await call(core, 'github.links.list')).links, []);

    const { projects, users } = await call(core, 'directory.get');
    const project = projects[0];
    const adam = users.find((u: { email: string }) => u.email === ADAM);
    const { link } = await call(core, 'github.links.create', { repository: 'acme/payments', projectId: project.id });
    assert.equal(link.repository, 'acme/payments');
    assert.equal(link.projectId, project.id);
    assert.equal(link.createdBy, adam.id);
    assert.deepEqual((await call(core, 'github.links.list')).links, [link]);

    const dup = await refusal(core, 'github.links.create', { repository: 'ACME/Payments', projectId: projects[1]?.id ?? project.id });
    assert.equal(dup.status, 409);
    assert.equal(dup.code, 'conflict');
    assert.match(dup.message, new RegExp(`acme/payments is already linked to project ${project.name}: unlink it first`));

    const unknown = await refusal(core, 'github.links.create', { repository: 'acme/other', projectId: 'prj_nope' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.message, /unknown project "prj_nope"/);

    const bad = await refusal(core, 'github.links.create', { repository: 'acme/pay ments', projectId: project.id });
    assert.equal(bad.code, 'invalid_input');
    assert.match(bad.message, /repository: must be a repository as owner\/name/);
    assert.deepEqual((await call(core, 'github.links.list')).links, [link], 'nothing was linked by the refusals');

    assert.deepEqual((await call(core, 'github.links.remove', { id: link.id })).link, link);
    assert.deepEqual((await call(core, 'github.links.list')).links, []);
    const gone = await refusal(core, 'github.links.remove', { id: link.id });
    assert.equal(gone.status, 404);
    assert.equal(gone.code, 'not_found');
  } finally {
    await core.close();
  }
});

test('a member is refused every GitHub channel by the server', async () => {
  const core = await coreAs(RHEA);
  try {
    const { projects } = await call(core, 'directory.get');
    for (const [channel, input] of [
      ['github.status', {}],
      ['github.links.list', {}],
      ['github.links.create', { repository: 'acme/sneaky', projectId: projects[0].id }],
      ['github.links.remove', { id: 'ghl_x' }],
    ] as const) {
      const e = await refusal(core, channel, input);
      assert.equal(e.status, 403, `${channel}: ${e.code} ${e.message}`);
      assert.equal(e.code, 'forbidden', channel);
    }
  } finally {
    await core.close();
  }
  const admin = await coreAs(ADAM);
  try {
    assert.deepEqual((await call(admin, 'github.links.list')).links, [], 'the member linked nothing');
  } finally {
    await admin.close();
  }
});

test("people carry a GitHub login: set on create and edit, another's refused (409), a bad one refused by the schema, null removes it", async () => {
  const core = await coreAs(ADAM);
  try {
    const made = await call(core, 'users.create', { name: 'Gita Hub', email: 'gita.hub@example.com', orgRole: 'member', githubLogin: 'gita-hub' });
    assert.equal(made.user.githubLogin, 'gita-hub');
    const sam = (await call(core, 'directory.get')).users.find((u: { email: string }) => u.email === SAM);
    const taken = await refusal(core, 'users.update', { id: sam.id, githubLogin: 'GITA-hub' });
    assert.equal(taken.status, 409);
    assert.equal(taken.code, 'github_login_taken');
    const bad = await refusal(core, 'users.update', { id: sam.id, githubLogin: '-sam-' });
    assert.equal(bad.code, 'invalid_input');
    assert.match(bad.message, /githubLogin: must be a GitHub login/);
    assert.equal((await call(core, 'users.update', { id: sam.id, githubLogin: 'sam-ortiz' })).user.githubLogin, 'sam-ortiz');
    const cached = (await call(core, 'directory.get')).users.find((u: { id: string }) => u.id === sam.id);
    assert.equal(cached.githubLogin, 'sam-ortiz', 'the cache has the answer at once');
    assert.equal((await call(core, 'users.update', { id: sam.id, githubLogin: null })).user.githubLogin, undefined);
  } finally {
    await core.close();
  }
});

test('offline: every GitHub channel says so', async () => {
  const core = await coreAs(ADAM);
  try {
    await server.stop();
    await until(async () => (await call(core, 'status.get')).state === 'offline', 20_000, 'offline');
    for (const [channel, input] of [
      ['github.status', {}],
      ['github.links.list', {}],
      ['github.links.create', { repository: 'acme/offline', projectId: 'prj_1' }],
      ['github.links.remove', { id: 'ghl_1' }],
    ] as const) {
      const e = await refusal(core, channel, input);
      assert.equal(e.code, 'offline', `${channel}: ${e.message}`);
    }
  } finally {
    await core.close();
  }
});
