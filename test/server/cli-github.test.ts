// `gatehouse github status | links | link | unlink` as admins run them, against real servers (one
// started as a GitHub App, one not): links are made and removed by repository and project name,
// and every refusal (bad input, a repository linked already, a member) says why and changes nothing.
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { CreatedUserResponse, GitHubLinksResponse, ProjectResponse } from '../../shared/schemas/index.ts';
import { appKeys } from './fake-github.ts';
import { apiFor, cleanupTempDirs, expectOk, initDir, killAll, runCli, startServer, tempDir, type ServerProcess } from './harness.ts';

const APP_ID = '314159';
// Never called by these commands: status only reports it.
const API_URL = 'https://github.example.com/api/v3';

let server: ServerProcess;
let plain: ServerProcess;
let ownerToken: string;
let plainOwnerToken: string;
let memberToken: string;

before(async () => {
  const files = tempDir();
  const keyFile = join(files, 'app.pem');
  const secretFile = join(files, 'webhook-secret');
  writeFileSync(keyFile, appKeys().privatePem);
  writeFileSync(secretFile, 'whsec-cli-0123456789abcdef\n');
  const data = await initDir();
  ownerToken = data.ownerToken;
  server = await startServer(data.dir, [
    '--github-app-id',
    APP_ID,
    '--github-private-key',
    keyFile,
    '--github-webhook-secret-file',
    secretFile,
    '--github-api-url',
    API_URL,
  ]);
  const owner = apiFor(server.url, ownerToken);
  for (const name of ['checkout', 'Payments']) expectOk(await owner.post('/api/projects', { name }), 201, ProjectResponse);
  memberToken = expectOk(await owner.post('/api/users', { name: 'Mia Member', email: 'mia@example.com', orgRole: 'member' }), 201, CreatedUserResponse).token;
  const other = await initDir();
  plainOwnerToken = other.ownerToken;
  plain = await startServer(other.dir);
});
after(async () => {
  await server?.stop();
  await plain?.stop();
  killAll();
  cleanupTempDirs();
});

const gh = (args: string[], token = ownerToken, url = () => server.url) => runCli(['github', ...args, '--server', url()], { env: { GATEHOUSE_TOKEN: token } });
const links = async () => expectOk(await apiFor(server.url, ownerToken).get('/api/integrations/github/links'), 200, GitHubLinksResponse).links;
const noStack = (stderr: string) => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');

describe('gatehouse github', () => {
  test('status: the app id, the GitHub API and the webhook URL to give GitHub', async () => {
    const r = await gh(['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^GitHub App: +configured \\(app id ${APP_ID}\\)$`, 'm'));
    assert.match(r.stdout, new RegExp(`^GitHub API: +${API_URL.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^Webhook URL: +${server.url}/integrations/github/webhook$`, 'm'));
    assert.match(r.stdout, /^Note: 127\.0\.0\.1 is this machine/m, 'a loopback address is not one GitHub can reach');
  });

  test('status on a server started without the GitHub flags: not configured, with the flags to add', async () => {
    const r = await gh(['status'], plainOwnerToken, () => plain.url);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^GitHub App: +not configured \(serve --github-app-id ID --github-private-key FILE --github-webhook-secret-file FILE\)$/m);
    assert.match(r.stdout, new RegExp(`^Webhook URL: +${plain.url}/integrations/github/webhook \\(answers 404`, 'm'));
  });

  test('link by project name (any case), list as a table and as JSON, unlink: each changes exactly that', async () => {
    assert.equal((await gh(['links'])).stdout.trim(), 'No repositories linked.');
    const made = await gh(['link', 'acme/checkout-web', '--project', 'checkout']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), 'Linked acme/checkout-web to project checkout');
    const second = await gh(['link', '--project', 'payments', 'Acme/payments-api']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout.trim(), 'Linked Acme/payments-api to project Payments');

    const table = await gh(['links']);
    assert.equal(table.code, 0, table.stderr);
    const rows = table.stdout.trimEnd().split('\n');
    assert.match(rows[0]!, /^REPOSITORY +PROJECT +LINKED +BY$/);
    assert.match(rows[1]!, /^acme\/checkout-web +checkout +\d{4}-\d\d-\d\dT\S+ +owner$/);
    assert.match(rows[2]!, /^Acme\/payments-api +Payments /);
    assert.equal(rows.length, 3);

    const json = await gh(['links', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const listed = JSON.parse(json.stdout) as { links: { id: string; repository: string; projectId: string; project: string }[] };
    assert.deepEqual(
      listed.links.map((l) => [l.repository, l.project]),
      [
        ['acme/checkout-web', 'checkout'],
        ['Acme/payments-api', 'Payments'],
      ],
    );
    assert.deepEqual(listed.links.map((l) => l.id).sort(), (await links()).map((l) => l.id).sort(), "the server's links, with their ids");

    const gone = await gh(['unlink', 'ACME/Checkout-Web']);
    assert.equal(gone.code, 0, gone.stderr);
    assert.equal(gone.stdout.trim(), 'Unlinked acme/checkout-web from project checkout');
    assert.deepEqual(
      (await links()).map((l) => l.repository),
      ['Acme/payments-api'],
    );
    assert.equal((await gh(['unlink', 'acme/payments-api'])).code, 0);
    assert.deepEqual(await links(), []);
  });

  test('refusals say why and change nothing: linked already, unknown project, bad repository, missing operands, not linked, a member', async () => {
    assert.equal((await gh(['link', 'acme/shop', '--project', 'checkout'])).code, 0);
    const before = await links();
    const cases: [string[], number, RegExp, string?][] = [
      [['link', 'ACME/shop', '--project', 'Payments'], 1, /acme\/shop is already linked to project checkout: unlink it first \(HTTP 409 conflict\)/],
      [['link', 'acme/other', '--project', 'billing'], 2, /no project "billing" \(known: checkout, Payments\)/],
      [['link', 'acme', '--project', 'checkout'], 2, /"acme" must be a repository as owner\/name, e\.g\. acme\/payments/],
      [['link', '-acme/x', '--project', 'checkout'], 2, /Unknown option|must be a repository/],
      [['link', 'acme/x'], 2, /--project is required/],
      [['link', '--project', 'checkout'], 2, /give the repository as OWNER\/NAME/],
      [['link', 'acme/x', 'acme/y', '--project', 'checkout'], 2, /one repository at a time/],
      [['unlink', 'acme/nothing'], 2, /acme\/nothing is not linked \(linked: acme\/shop\)/],
      [['links', 'acme/shop'], 2, /Unexpected argument|positional/i],
      [['links', '--bogus'], 2, /bogus/],
      [['frobnicate'], 2, /unknown github command "frobnicate"/],
      [['link', 'acme/mine', '--project', 'checkout'], 1, /only owners and admins|forbidden/i, memberToken],
      [['links'], 1, /only owners and admins|forbidden/i, memberToken],
    ];
    for (const [args, code, message, token] of cases) {
      const r = await gh(args, token);
      assert.equal(r.code, code, `${args.join(' ')}: stdout ${r.stdout} stderr ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.match(r.stderr, /^error: /m);
      noStack(r.stderr);
      assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
    }
    assert.deepEqual(await links(), before, 'nothing changed');
    assert.equal((await gh(['unlink', 'acme/shop'])).code, 0);
  });

  test('no subcommand prints the usage and exits 2; --help exits 0; no token or an unreachable server is a clear error', async () => {
    const bare = await runCli(['github']);
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /usage: gatehouse github status/);
    for (const args of [['--help'], ['link', '--help']]) {
      const r = await runCli(['github', ...args]);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /usage: gatehouse github/);
    }
    const noToken = await runCli(['github', 'links', '--server', server.url], { env: { GATEHOUSE_TOKEN: undefined } });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /an API token is required/);
    const down = await runCli(['github', 'status', '--server', 'http://127.0.0.1:9'], { env: { GATEHOUSE_TOKEN: ownerToken } });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
    noStack(down.stderr);
  });
});
