// Gatehouse as a GitHub App's custom deployment protection rule (docs/github.md), against a local
// fake of GitHub's API that checks the app JWT against the App's public key and records calls:
// webhooks become requests on the linked project's environment of the same name, and the verdict
// reaches the run's callback — after quorum, with a rejection's comment, at once for a locked
// environment — also when GitHub was down at decision time or the server was killed before it
// could post.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GitHubLinkResponse, RequestResponse, RequestsResponse, UserResponse, type Environment } from '../../shared/schemas/index.ts';
import { setupOrg, type Org, type TestUser } from './fixtures.ts';
import { appKeys, FakeGitHub, protectionRuleEvent, SAMPLE_DIFF, signBody } from './fake-github.ts';
import {
  call,
  cleanupTempDirs,
  expectError,
  expectOk,
  initDir,
  killAll,
  sleep,
  startServer,
  tempDir,
  uniq,
  type ApiResponse,
  type ServerProcess,
} from './harness.ts';

const APP_ID = '271828';
const SECRET = 'whsec-test-0123456789abcdef';
const REPO = 'acme/checkout';
// A retry comes 5 s after a failure, then 10 s (±20 %): the waits allow for both and a restart.
const RETRIES_MS = 45_000;

let server: ServerProcess;
let org: Org;
let fake: FakeGitHub;
let starter: TestUser;

/** Posts a webhook as GitHub does: signed with the secret unless `signature` says otherwise (null: unsigned). */
async function deliver(body: unknown, opts: { event?: string; signature?: string | null; delivery?: string } = {}): Promise<ApiResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    'x-github-event': opts.event ?? 'deployment_protection_rule',
    'x-github-delivery': opts.delivery ?? crypto.randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  if (opts.signature !== null) headers['x-hub-signature-256'] = opts.signature ?? signBody(SECRET, text);
  return call(server.url, undefined, 'POST', '/integrations/github/webhook', { raw: text, headers });
}

async function gatedEnv(extra: { protection?: 'locked' } = {}): Promise<Environment> {
  const env = await org.env({ name: uniq('production'), ...extra });
  await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], minApprovals: 2 });
  return env;
}

async function requestsOn(envId: string) {
  return expectOk(await org.owner.api.get(`/api/requests?environmentId=${envId}`), 200, RequestsResponse).requests;
}

before(async () => {
  const dir = tempDir();
  const keys = appKeys();
  const keyFile = join(dir, 'app.pem');
  const secretFile = join(dir, 'webhook-secret');
  writeFileSync(keyFile, keys.privatePem);
  writeFileSync(secretFile, `${SECRET}\n`);
  fake = await FakeGitHub.start(APP_ID, keys.publicKey);
  const { dir: data, ownerToken } = await initDir();
  server = await startServer(data, [
    '--github-app-id',
    APP_ID,
    '--github-private-key',
    keyFile,
    '--github-webhook-secret-file',
    secretFile,
    '--github-api-url',
    fake.origin,
  ]);
  org = await setupOrg(() => server.url, ownerToken);
  expectOk(await org.owner.api.post('/api/integrations/github/links', { repository: REPO, projectId: org.projectId }), 201, GitHubLinkResponse);
  const patched = await org.owner.api.patch(`/api/users/${org.m1.id}`, { githubLogin: 'mo-one' });
  assert.equal(patched.status, 200, patched.text);
  starter = org.m1;
});
after(async () => {
  await server?.stop();
  await fake?.close();
  killAll();
  cleanupTempDirs();
});

describe('deployment protection rule', () => {
  test('approved after quorum: the request is the starter\'s, with the commit, the pull request title and the compare diff; progress reports say what is missing; one "approved" verdict', async () => {
    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'Mo-One', pullRequestTitle: 'Checkout: faster card form' });
    const res = await deliver(run.body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.status, 'pending');
    const request = expectOk(await org.owner.api.get(`/api/requests/${res.body.requestId}`), 200, RequestResponse).request;
    assert.equal(request.requesterId, starter.id, 'the GitHub login (any case) names the requester');
    assert.equal(request.action, 'release.deploy');
    assert.equal(request.resource.environmentId, env.id);
    assert.equal(request.payload.revision, run.sha);
    assert.equal(request.justification, 'Checkout: faster card form');
    const diff = await org.owner.api.get(`/api/requests/${request.id}/diff`);
    assert.equal(diff.text, SAMPLE_DIFF(run.sha), 'the compare diff is attached');
    assert.ok(
      fake.calls.some((c) => c.path === `/repos/${REPO}/compare/${run.sha}%5E...${run.sha}` && c.accept === 'application/vnd.github.diff'),
      `with no approved deploy before it, the commit is compared with its parent: ${JSON.stringify(fake.calls.map((c) => c.path))}`,
    );

    const first = await waitForReports(run.runId, 1);
    assert.equal(first[0]!.body.state, undefined, 'a progress report has no state');
    assert.equal(first[0]!.body.environment_name, env.name);
    assert.match(first[0]!.body.comment!, /0 of 2/);

    assert.equal((await org.m2.api.post(`/api/requests/${request.id}/approve`, {})).status, 200);
    const second = await waitForReports(run.runId, 2);
    assert.match(second[1]!.body.comment!, /Mia Two approved.*1 of 2/);
    assert.equal(fake.verdictsOf(run.runId).length, 0, 'no verdict before quorum');

    assert.equal((await org.bg.api.post(`/api/requests/${request.id}/approve`, {})).status, 200);
    const verdict = await fake.verdict(run.runId);
    assert.equal(verdict.body.state, 'approved');
    assert.equal(verdict.body.environment_name, env.name);
    assert.match(verdict.body.comment!, /Mia Two, Ines Incident/);
    assert.equal(verdict.installationId, 42, "posted with a token of the event's installation");
    await sleep(1500);
    assert.equal(fake.reviews.filter((r) => r.runId === run.runId && r.body.state).length, 1, 'exactly one verdict post');
    assert.deepEqual(fake.problems, []);

    // The next deployment to the environment is compared with the one approved last.
    const next = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
    const again = await deliver(next.body);
    assert.equal(again.status, 202);
    assert.ok(
      fake.calls.some((c) => c.path === `/repos/${REPO}/compare/${run.sha}...${next.sha}`),
      'compared with the last approved revision',
    );
    const commit = expectOk(await org.owner.api.get(`/api/requests/${again.body.requestId}`), 200, RequestResponse).request;
    assert.equal(commit.justification, `Roll out ${next.sha.slice(0, 7)}`, "without a pull request, the head commit's first line");
  });

  test('rejected: the verdict is "rejected" with the reviewer\'s comment', async () => {
    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
    const res = await deliver(run.body);
    assert.equal(res.status, 202);
    const reject = await org.m2.api.post(`/api/requests/${res.body.requestId}/reject`, { comment: 'not during the card sale' });
    assert.equal(reject.status, 200, reject.text);
    const verdict = await fake.verdict(run.runId);
    assert.equal(verdict.body.state, 'rejected');
    assert.match(verdict.body.comment!, /Mia Two: not during the card sale/);
  });

  test('a locked environment: "rejected" at once with the locked message, no request, the change never fetched', async () => {
    const env = await gatedEnv({ protection: 'locked' });
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
    const res = await deliver(run.body);
    assert.equal(res.status, 202);
    assert.match(res.body.refused, /is locked/);
    const verdict = await fake.verdict(run.runId);
    assert.equal(verdict.body.state, 'rejected');
    assert.match(verdict.body.comment!, new RegExp(`Environment "${env.name}" is locked`));
    assert.deepEqual(await requestsOn(env.id), []);
    assert.ok(!fake.calls.some((c) => c.path.includes(run.sha)), 'no compare for a refused deployment');
  });

  test('a wrong or missing signature: 401 and nothing made', async () => {
    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name });
    const calls = fake.calls.length;
    expectError(await deliver(run.body, { signature: signBody('another-secret-entirely', JSON.stringify(run.body)) }), 401, 'invalid_signature');
    expectError(await deliver(run.body, { signature: null }), 401, 'invalid_signature');
    // Signed, then altered: the signature binds the exact bytes.
    const text = JSON.stringify(run.body);
    expectError(await deliver(text.replace(env.name, `${env.name} `), { signature: signBody(SECRET, text) }), 401, 'invalid_signature');
    assert.deepEqual(await requestsOn(env.id), []);
    await sleep(500);
    assert.equal(fake.calls.length, calls, 'GitHub was not called');
  });

  test('unlinked repository, unknown environment: "rejected" with the reason; ping and other events answered 200; redelivery makes one request', async () => {
    const unlinked = protectionRuleEvent(fake, { repository: 'acme/unlinked', environment: 'production' });
    const a = await deliver(unlinked.body);
    assert.equal(a.status, 202);
    assert.match((await fake.verdict(unlinked.runId)).body.comment!, /acme\/unlinked is not linked/);

    const unknown = protectionRuleEvent(fake, { repository: REPO, environment: 'no-such-env' });
    assert.equal((await deliver(unknown.body)).status, 202);
    const v = await fake.verdict(unknown.runId);
    assert.equal(v.body.state, 'rejected');
    assert.match(v.body.comment!, /has no environment named "no-such-env"/);

    assert.deepEqual((await deliver({ zen: 'Keep it logically awesome.', hook_id: 1 }, { event: 'ping' })).body, { ok: true });
    assert.equal((await deliver({ action: 'created' }, { event: 'installation' })).status, 200);
    expectError(await deliver({ action: 'requested', environment: 'x' }), 400, 'invalid_request');
    const foreign = protectionRuleEvent(fake, { repository: REPO, environment: 'x' });
    (foreign.body as any).deployment_callback_url = 'https://attacker.example.com/repos/acme/checkout/actions/runs/1/deployment_protection_rule';
    expectError(await deliver(foreign.body), 400, 'invalid_request', /deployment_callback_url/);

    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'someone-unknown' });
    const delivery = crypto.randomUUID();
    const one = await deliver(run.body, { delivery });
    const two = await deliver(run.body, { delivery });
    assert.deepEqual(two.body, one.body, 'a redelivery answers the same');
    const made = await requestsOn(env.id);
    assert.equal(made.length, 1);
    const requester = expectOk(await org.owner.api.get(`/api/users/${made[0]!.requesterId}`), 200, UserResponse);
    assert.equal(requester.user.name, 'github', 'a starter without a Gatehouse login: the github service user');
  });
});

test("progress reports stop at nine, leaving GitHub's tenth for the verdict", async () => {
  const team = await org.team();
  const reviewers = [];
  for (let i = 0; i < 11; i++) reviewers.push(await org.user(`Reviewer ${i}`, 'member', { teamIds: [team.id] }));
  const env = await org.env({ name: uniq('production') });
  await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [team.id], minApprovals: 11 });
  const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
  const res = await deliver(run.body);
  await waitForReports(run.runId, 1);
  // One approval at a time, each told before the next: the creation's report and eight more.
  for (const [i, r] of reviewers.slice(0, 8).entries()) {
    assert.equal((await r.api.post(`/api/requests/${res.body.requestId}/approve`, {})).status, 200);
    const reports = await waitForReports(run.runId, i + 2);
    assert.match(reports[i + 1]!.body.comment!, new RegExp(`^Reviewer ${i} approved\\. Waiting for approval in Gatehouse \\(req_\\w+\\): ${i + 1} of 11`));
  }
  for (const r of reviewers.slice(8, 10)) assert.equal((await r.api.post(`/api/requests/${res.body.requestId}/approve`, {})).status, 200);
  await sleep(1500);
  assert.equal(fake.reviewsOf(run.runId).length, 9, 'no tenth progress report');
  assert.equal((await reviewers[10]!.api.post(`/api/requests/${res.body.requestId}/approve`, {})).status, 200);
  assert.equal((await fake.verdict(run.runId)).body.state, 'approved');
  assert.equal(fake.reviewsOf(run.runId).length, 10);
});

describe('durable callbacks', () => {
  test('GitHub down at decision time: the verdict arrives after it comes back', async () => {
    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
    const res = await deliver(run.body);
    await waitForReports(run.runId, 1);
    await fake.down('refusing');
    try {
      for (const u of [org.m2, org.bg]) assert.equal((await u.api.post(`/api/requests/${res.body.requestId}/approve`, {})).status, 200);
      await sleep(2000);
    } finally {
      await fake.up();
    }
    const verdict = await fake.verdict(run.runId, RETRIES_MS);
    assert.equal(verdict.body.state, 'approved');
    await sleep(1500);
    assert.equal(fake.reviews.filter((r) => r.runId === run.runId && r.body.state).length, 1);
  });

  test('kill -9 between the decision and the callback: the verdict still arrives, once', async () => {
    const env = await gatedEnv();
    const run = protectionRuleEvent(fake, { repository: REPO, environment: env.name, sender: 'mo-one' });
    const res = await deliver(run.body);
    await waitForReports(run.runId, 1);
    await fake.down('unavailable');
    const callbackPath = new URL(fake.callbackUrl(REPO, run.runId)).pathname;
    try {
      for (const u of [org.m2, org.bg]) assert.equal((await u.api.post(`/api/requests/${res.body.requestId}/approve`, {})).status, 200);
      // The server tried (GitHub answered 503) and holds the verdict for a retry: now it dies.
      const deadline = performance.now() + 10_000;
      while (!fake.calls.some((c) => c.path === callbackPath && c.status === 503)) {
        assert.ok(performance.now() < deadline, 'the server tried to post the verdict');
        await sleep(50);
      }
      await server.kill9();
    } finally {
      await fake.up();
    }
    await server.start();
    const verdict = await fake.verdict(run.runId, RETRIES_MS);
    assert.equal(verdict.body.state, 'approved');
    await sleep(2000);
    assert.equal(fake.reviews.filter((r) => r.runId === run.runId && r.body.state).length, 1, 'posted once');
  });
});

describe('links', () => {
  test('admins only; repository checked; one project per repository; unlinked with DELETE', async () => {
    expectError(await org.m1.api.get('/api/integrations/github/links'), 403, 'forbidden');
    expectError(await org.m1.api.post('/api/integrations/github/links', { repository: 'acme/other', projectId: org.projectId }), 403, 'forbidden');
    expectError(await org.owner.api.post('/api/integrations/github/links', { repository: 'not a repo', projectId: org.projectId }), 400, 'invalid_request');
    expectError(await org.owner.api.post('/api/integrations/github/links', { repository: 'acme/other', projectId: 'prj_nope' }), 400, 'invalid_request');
    expectError(await org.owner.api.post('/api/integrations/github/links', { repository: 'ACME/Checkout', projectId: org.projectId }), 409, 'conflict');
    const made = expectOk(
      await org.admin.api.post('/api/integrations/github/links', { repository: 'acme/other', projectId: org.projectId }),
      201,
      GitHubLinkResponse,
    ).link;
    const status = await org.admin.api.get('/api/integrations/github');
    assert.deepEqual(status.body, { configured: true, appId: APP_ID, apiUrl: fake.origin, webhookPath: '/integrations/github/webhook' });
    assert.equal((await org.admin.api.del(`/api/integrations/github/links/${made.id}`)).status, 200);
    expectError(await org.admin.api.del(`/api/integrations/github/links/${made.id}`), 404, 'not_found');
    expectError(await org.owner.api.patch(`/api/users/${org.m2.id}`, { githubLogin: 'MO-ONE' }), 409, 'github_login_taken');
    expectError(await org.owner.api.patch(`/api/users/${org.m2.id}`, { githubLogin: '-bad-' }), 400, 'invalid_request');
  });
});

async function waitForReports(runId: number, n: number) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    const reports = fake.reviewsOf(runId).filter((r) => r.body.state === undefined);
    if (reports.length >= n) return reports;
    assert.ok(
      performance.now() < deadline,
      `waiting for ${n} progress reports on run ${runId}; got ${JSON.stringify(fake.reviews.filter((r) => r.runId === runId))}`,
    );
    await sleep(50);
  }
}
