// The GitHub pieces that decide without a network: the webhook signature, which URLs an
// installation token may be sent to, the app JWT, what a run is told, and serve's GitHub flags.
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { approve, environment, gate, reject, user, usersById } from '../../shared/policy/testing.ts';
import { DEFAULT_SETTINGS, type ApprovalRequest } from '../../shared/schemas/index.ts';
import { UsageError } from '../cli/args.ts';
import { githubOption } from '../cli/github-option.ts';
import type { Directory } from '../notify/notices.ts';
import { GitHubApi } from './api.ts';
import { progressComment, refusalComment, verdictComment } from './comments.ts';
import { signatureValid } from './webhook.ts';

const AT = new Date('2026-03-08T09:59:00.000Z');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const api = (apiUrl = 'https://api.github.com') => new GitHubApi({ appId: '99', privateKey, webhookSecret: 'x'.repeat(16), apiUrl }, () => AT);

test('the webhook signature binds the exact bytes under the secret; anything else is refused', () => {
  const body = Buffer.from('{"action":"requested"}');
  assert.equal(signatureValid('s3cret', body, 'sha256=2f0d7b1e8c4d6e3a'), false, 'a made-up digest');
  const hex = createHmac('sha256', 's3cret').update(body).digest('hex');
  assert.equal(signatureValid('s3cret', body, `sha256=${hex}`), true);
  assert.equal(signatureValid('s3cret', body, `sha256=${hex.toUpperCase()}`), true, 'hex in either case');
  assert.equal(signatureValid('other', body, `sha256=${hex}`), false, 'another secret');
  assert.equal(signatureValid('s3cret', Buffer.from('{"action":"requested" }'), `sha256=${hex}`), false, 'other bytes');
  assert.equal(signatureValid('s3cret', body, `sha1=${hex}`), false, 'the SHA-1 header is not accepted');
  assert.equal(signatureValid('s3cret', body, hex), false, 'no prefix');
  assert.equal(signatureValid('s3cret', body, `sha256=${hex.slice(2)}`), false, 'short');
  assert.equal(signatureValid('s3cret', body, undefined), false, 'missing');
});

test('an installation token goes only to callbacks on the configured API', () => {
  const gh = api();
  assert.equal(gh.ownsUrl('https://api.github.com/repos/acme/app/actions/runs/1/deployment_protection_rule'), true);
  assert.equal(gh.ownsUrl('http://api.github.com/repos/acme/app/actions/runs/1/deployment_protection_rule'), false, 'not over plain HTTP');
  assert.equal(gh.ownsUrl('https://api.github.com.evil.example/repos/a/b'), false);
  assert.equal(gh.ownsUrl('https://user:pw@api.github.com/repos/a/b'), false);
  assert.equal(gh.ownsUrl('https://api.github.com/app/installations/1/access_tokens'), false, 'only under /repos/');
  assert.equal(gh.ownsUrl('not a url'), false);
  const ghes = api('https://ghe.example.com/api/v3');
  assert.equal(ghes.ownsUrl('https://ghe.example.com/api/v3/repos/a/b/actions/runs/1/deployment_protection_rule'), true);
  assert.equal(ghes.ownsUrl('https://ghe.example.com/repos/a/b'), false, 'outside the API path');
});

test('the app JWT: RS256, issued by the App id, backdated a minute, at most ten minutes long', async () => {
  const jwt = await api().appJwt();
  assert.equal(decodeProtectedHeader(jwt).alg, 'RS256');
  const claims = decodeJwt(jwt);
  assert.equal(claims.iss, '99');
  assert.equal(claims.iat, AT.getTime() / 1000 - 60);
  assert.ok(claims.exp! - claims.iat! <= 600);
  await jwtVerify(jwt, publicKey, { issuer: '99', currentDate: AT });
});

const alice = user('alice', { name: 'Alice', teamIds: ['sre'] });
const bob = user('bob', { name: 'Bob', teamIds: ['sre'] });
const rick = user('rick', { name: 'Rick' });
const prod = environment('env_prod', { name: 'production', projectId: 'prj_pay' });
const dir: Directory = {
  users: usersById(alice, bob, rick),
  names: new Map([['sre', 'SRE']]),
  environments: new Map([[prod.id, prod]]),
  settings: { ...DEFAULT_SETTINGS, publicUrl: 'https://gatehouse.example.com' },
};
const request = (over: Partial<ApprovalRequest>): ApprovalRequest =>
  ({
    id: 'req_1',
    action: 'release.deploy',
    resource: { environmentId: prod.id },
    requesterId: 'rick',
    justification: 'ship',
    payload: { diffLines: 0, diffBytes: 0 },
    digest: 'd',
    gates: [gate('g', { name: 'SRE', approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })],
    decisions: [],
    status: 'pending',
    warnings: [],
    nudges: [],
    createdAt: AT.toISOString(),
    updatedAt: AT.toISOString(),
    expiresAt: '2026-03-15T09:59:00.000Z',
    ...over,
  }) as ApprovalRequest;

test('what a run is told: progress with what is missing and where to review; verdicts with who and why', () => {
  const waiting = progressComment(dir, request({}));
  assert.match(waiting, /^Waiting for approval in Gatehouse \(req_1\): 0 of 1 · missing: /);
  assert.match(waiting, /Review: https:\/\/gatehouse\.example\.com\/#\/request\/req_1$/);
  assert.equal(
    verdictComment(dir, request({ status: 'approved', decisions: [approve('alice'), approve('bob')] }), { actorId: 'bob' }),
    'Approved in Gatehouse (req_1): approved by Alice, Bob.',
  );
  assert.equal(verdictComment(dir, request({ status: 'approved', gates: [] }), { actorId: 'rick' }), 'Approved in Gatehouse (req_1): no approval required.');
  const rejected = request({ status: 'rejected', decisions: [{ ...reject('alice'), comment: 'not during the sale' }] });
  assert.equal(verdictComment(dir, rejected, { actorId: 'alice' }), 'Rejected in Gatehouse (req_1) by Alice: not during the sale');
  assert.equal(
    verdictComment(dir, request({ status: 'rejected' }), { actorId: 'bob', message: 'no Friday deploys' }),
    'Rejected in Gatehouse (req_1) by Bob: no Friday deploys',
    "a rule's rejection gives the rule's message",
  );
  assert.equal(verdictComment(dir, request({ status: 'cancelled' }), { actorId: 'rick' }), 'Cancelled in Gatehouse (req_1) by Rick.');
  assert.match(verdictComment(dir, request({ status: 'expired' }), { actorId: 'system' }), /^Expired in Gatehouse \(req_1\): not approved before 2026-03-15/);
  const long = refusalComment('x'.repeat(5000));
  assert.equal(long.length, 1000, 'comments are clipped');
  assert.ok(long.endsWith('…'));
});

test("serve's GitHub flags: all three or none, each checked", () => {
  const dirPath = mkdtempSync(join(tmpdir(), 'gh-flags-'));
  try {
    const rsa = join(dirPath, 'app.pem');
    writeFileSync(rsa, privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const ed = join(dirPath, 'ed.pem');
    writeFileSync(ed, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const secret = join(dirPath, 'secret');
    writeFileSync(secret, 'a-webhook-secret-long-enough\n');
    const short = join(dirPath, 'short');
    writeFileSync(short, 'short');
    const flags = { 'github-app-id': '123', 'github-private-key': rsa, 'github-webhook-secret-file': secret };
    const config = githubOption(flags)!;
    assert.equal(config.apiUrl, 'https://api.github.com');
    assert.equal(config.webhookSecret, 'a-webhook-secret-long-enough', 'the trailing newline of the file is not part of the secret');
    assert.equal(githubOption({ ...flags, 'github-api-url': 'https://ghe.example.com/api/v3/' })!.apiUrl, 'https://ghe.example.com/api/v3');
    assert.equal(githubOption({}), undefined);
    const refuses = (f: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => githubOption(f),
        (err: unknown) => err instanceof UsageError && message.test(err.message),
      );
    refuses({ 'github-app-id': '123' }, /give all three or none/);
    refuses({ 'github-api-url': 'https://x' }, /needs --github-app-id/);
    refuses({ ...flags, 'github-app-id': 'my-app' }, /numeric id/);
    refuses({ ...flags, 'github-private-key': join(dirPath, 'missing.pem') }, /cannot read --github-private-key/);
    refuses({ ...flags, 'github-private-key': secret }, /is not a PEM private key/);
    refuses({ ...flags, 'github-private-key': ed }, /must be an RSA key/);
    refuses({ ...flags, 'github-webhook-secret-file': short }, /at least 16 characters/);
    refuses({ ...flags, 'github-api-url': 'ftp://x' }, /must be an https:\/\/ URL/);
  } finally {
    rmSync(dirPath, { recursive: true, force: true });
  }
});
