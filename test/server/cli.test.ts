// The `gatehouse` CLI as users run it: init, serve flags, --help, and deploy (with --wait) against a
// real demo server.
import { after, before, describe, test } from 'node:test';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { EnvironmentResponse, EnvironmentsResponse, ProjectsResponse, RequestDetailResponse, SettingsResponse } from '../../shared/schemas/index.ts';
import { apiFor, cleanupTempDirs, demoDir, expectOk, initDir, killAll, runCli, startServer, tempDir, type ServerProcess } from './harness.ts';
import { clockAt } from '../clock.ts';

after(() => {
  killAll();
  cleanupTempDirs();
});

describe('init / serve / help', () => {
  test('init twice on the same dir → exit 1 with a clear message', async () => {
    const { dir } = await initDir('first@example.com');
    const again = await runCli(['init', '--data', dir, '--owner-email', 'second@example.com']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a Gatehouse database/);
    assert.doesNotMatch(again.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(again.stdout.trim(), '', 'no token printed');
  });

  test('init prints the owner token last, and it works; the request log never contains it', async () => {
    const { dir, ownerToken } = await initDir('boot@example.com');
    const server = await startServer(dir, ['--log-level', 'info']);
    try {
      const me = await apiFor(server.url, ownerToken).get('/api/me');
      assert.equal(me.status, 200);
      assert.equal((me.body as { user: { email: string; orgRole: string } }).user.email, 'boot@example.com');
      assert.equal((me.body as { user: { orgRole: string } }).user.orgRole, 'owner');
      await apiFor(server.url, ownerToken).get('/api/nope');
      await apiFor(server.url, `${ownerToken}x`).get('/api/me');
    } finally {
      await server.stop();
    }
    assert.match(server.stderr, /"url":"\/api\/me"/, 'one log line per request at info level');
    assert.ok(!server.stderr.includes(ownerToken), 'the token is never logged');
  });

  test('init with a bad email or missing flags → exit 1', async () => {
    const r = await runCli(['init', '--data', tempDir(), '--owner-email', 'not-an-email']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: /m);
    const missing = await runCli(['init', '--data', tempDir()]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--owner-email/);
  });

  test('serve with a bad flag → exit 1', async () => {
    const { dir } = await initDir();
    const bogus = await runCli(['serve', '--data', dir, '--bogus'], { timeoutMs: 15_000 });
    assert.equal(bogus.code, 1);
    assert.match(bogus.stderr, /bogus/);
    assert.doesNotMatch(bogus.stdout, /listening/);
    const badPort = await runCli(['serve', '--data', dir, '--port', 'eighty'], { timeoutMs: 15_000 });
    assert.equal(badPort.code, 1);
    assert.match(badPort.stderr, /--port/);
    const badTtl = await runCli(['serve', '--data', dir, '--request-ttl', 'forever'], { timeoutMs: 15_000 });
    assert.equal(badTtl.code, 1);
    const noDb = await runCli(['serve', '--data', tempDir(), '--port', '0'], { timeoutMs: 15_000 });
    assert.equal(noDb.code, 1);
    assert.match(noDb.stderr, /init/);
  });

  test('--help exits 0 (top level and per command); unknown command exits 1', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /usage: gatehouse/);
    for (const cmd of ['init', 'serve', 'demo', 'deploy', 'audit', 'policy', 'github']) {
      const r = await runCli([cmd, '--help']);
      assert.equal(r.code, 0, `${cmd} --help`);
      assert.match(r.stdout, new RegExp(`usage: gatehouse ${cmd}`));
    }
    const unknown = await runCli(['frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command/);
  });
});

// The demo's org-wide Off-Hours Change Gate (18:00–09:00 and weekends, Europe/Istanbul): the same
// deploy to checkout/dev (protection none, no other policy) at two stated instants.
describe('the Off-Hours Change Gate at two pinned instants', () => {
  const DEV = 'dev.patel@example.com';
  const deployDev = async (instant: string) => {
    const { flag } = clockAt(instant);
    const dir = tempDir();
    const made = await runCli(['demo', '--data', dir, '--clock', flag]);
    assert.equal(made.code, 0, made.stderr);
    const devToken = made.stdout
      .split('\n')
      .find((l) => l.startsWith(`${DEV} `))!
      .split(' ')[2]!;
    const server = await startServer(dir, ['--clock', flag]);
    try {
      const r = await runCli([
        'deploy',
        '--server',
        server.url,
        '--token',
        devToken,
        '--project',
        'checkout',
        '--env',
        'dev',
        '--revision',
        'r1',
        '--reason',
        'CLI test',
      ]);
      assert.equal(r.code, 0, r.stderr);
      const id = /Deployment dep_(\S+) created/.exec(r.stdout)![1]!;
      const d = expectOk(await apiFor(server.url, devToken).get(`/api/requests/req_${id}`), 200, RequestDetailResponse);
      return { stdout: r.stdout, request: d.request };
    } finally {
      await server.stop();
    }
  };

  test('Tuesday 11:00 in Istanbul: not gated, approved at once', async () => {
    const { stdout, request } = await deployDev('2026-03-10T11:00:00+03:00');
    assert.match(stdout, /^Deployment dep_\S+ created \(approved\)$/m);
    assert.equal(request.status, 'approved');
    assert.deepEqual(request.gates, []);
  });

  test('Tuesday 21:00 in Istanbul: gated, pending one approval from SRE, a release manager or an admin', async () => {
    const { stdout, request } = await deployDev('2026-03-10T21:00:00+03:00');
    assert.match(stdout, /^Deployment dep_\S+ created \(pending approval\)$/m);
    assert.equal(request.status, 'pending');
    assert.deepEqual(
      request.gates.map((g) => g.name),
      ['Off-Hours Change Gate'],
    );
  });
});

describe('deploy against a demo server', () => {
  let server: ServerProcess;
  let token: (email: string) => string;
  let envId: (project: string, env: string) => string;

  before(async () => {
    const demo = await demoDir();
    token = demo.token;
    server = await startServer(demo.dir);
    const owner = apiFor(() => server.url, token('olivia.hart@example.com'));
    const projects = expectOk(await owner.get('/api/projects'), 200, ProjectsResponse).projects;
    const envs = expectOk(await owner.get('/api/environments'), 200, EnvironmentsResponse).environments;
    envId = (project, env) => {
      const p = projects.find((x) => x.name === project)!;
      return envs.find((e) => e.projectId === p.id && e.name === env)!.id;
    };
  });
  after(async () => {
    await server?.stop();
  });

  const DEV = 'dev.patel@example.com'; // member, Developers
  const SRE = 'sam.ortiz@example.com'; // member, SRE (staging and production reviewer)

  /** The token in a file of its own (mode 0600), so it never shows in the process's arguments. */
  const tokenFile = (who: string) => {
    const file = join(tempDir(), 'token');
    writeFileSync(file, `${token(who)}\n`, { mode: 0o600 });
    return file;
  };

  const deployArgs = (env: string, extra: string[] = [], who = DEV) => [
    'deploy',
    '--server',
    server.url,
    '--token-file',
    tokenFile(who),
    '--project',
    'checkout',
    '--env',
    env,
    '--revision',
    'abc',
    // a reason keeps the demo's off-hours policy (requireReason) from refusing at night
    '--reason',
    'CLI integration test',
    ...extra,
  ];

  test('deploy prints "Deployment dep_… created (pending approval)" and exits 0', async () => {
    const r = await runCli(deployArgs('production'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Deployment dep_\S+ created \(pending approval\)$/m);
    const id = /Deployment dep_(\S+) created/.exec(r.stdout)![1]!;
    const d = expectOk(await apiFor(server.url, token(DEV)).get(`/api/requests/req_${id}`), 200, RequestDetailResponse);
    assert.equal(d.request.status, 'pending');
    assert.equal(d.request.action, 'release.deploy');
    assert.equal(d.request.payload.revision, 'abc');
    assert.equal(d.request.resource.environmentId, envId('checkout', 'production'));
  });

  test('deploy prints "(approved)" or "(pending approval)", whichever the request is', async () => {
    // Whether checkout/dev is gated depends on the hour (the off-hours gate below pins both sides);
    // at any hour the line names the request's real status.
    const r = await runCli(deployArgs('dev'));
    assert.equal(r.code, 0, r.stderr);
    const id = /^Deployment dep_(\S+) created \((approved|pending approval)\)$/m.exec(r.stdout);
    assert.ok(id, r.stdout);
    const d = expectOk(await apiFor(server.url, token(DEV)).get(`/api/requests/req_${id[1]}`), 200, RequestDetailResponse);
    assert.equal(d.request.status, id[2] === 'approved' ? 'approved' : 'pending');
  });

  test('deploy with --diff-file uploads the diff', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(tempDir(), 'change.diff');
    const diff = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n';
    writeFileSync(file, diff);
    const r = await runCli(deployArgs('production', ['--diff-file', file]));
    assert.equal(r.code, 0, r.stderr);
    const id = /Deployment dep_(\S+) created/.exec(r.stdout)![1]!;
    const got = await apiFor(server.url, token(DEV)).get(`/api/requests/req_${id}/diff`);
    assert.equal(got.text, diff);
  });

  test('deploy to a frozen environment as a member → exit 3', async () => {
    const owner = apiFor(server.url, token('olivia.hart@example.com'));
    const id = envId('checkout', 'dev');
    expectOk(await owner.post(`/api/environments/${id}/freeze`, { reason: 'CLI test freeze' }), 200, EnvironmentResponse);
    try {
      const r = await runCli(deployArgs('dev'));
      assert.equal(r.code, 3, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      assert.match(r.stderr, /Environment "dev" is locked\. Only Admins and Owners can deploy\./);
    } finally {
      expectOk(await owner.post(`/api/environments/${id}/unfreeze`, {}), 200, EnvironmentResponse);
    }
  });

  test('deploy --wait --timeout 3s → exit 2 when nobody decides', async () => {
    const t0 = performance.now();
    const r = await runCli(deployArgs('staging', ['--wait', '--timeout', '3s']), { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.match(r.stdout, /created \(pending approval\)/);
    const took = performance.now() - t0;
    assert.ok(took >= 3000 && took < 15_000, `took ${took} ms`);
  });

  for (const [kind, code, word] of [
    ['approve', 0, 'approved'],
    ['reject', 1, 'rejected'],
  ] as const) {
    test(`deploy --wait exits ${code} when the request is ${word} while it waits`, async () => {
      const sre = apiFor(server.url, token(SRE));
      let out = '';
      let decision: Promise<number> | undefined;
      const r = await runCli(deployArgs('staging', ['--wait', '--timeout', '20s']), {
        timeoutMs: 30_000,
        onStdout: (chunk) => {
          out += chunk;
          const m = /Deployment dep_(\S+) created/.exec(out);
          if (m && !decision) {
            decision = (async () => {
              await new Promise((res) => setTimeout(res, 300)); // let it start waiting
              const res = await sre.post(`/api/requests/req_${m[1]}/${kind}`, { comment: 'from the CLI test' });
              return res.status;
            })();
          }
        },
      });
      assert.ok(decision, 'the created line was printed');
      assert.equal(await decision, 200, `${kind} via the API`);
      assert.equal(r.code, code, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Deployment dep_\\S+ ${word}`));
      const id = /Deployment dep_(\S+) created/.exec(r.stdout)![1]!;
      const d = expectOk(await sre.get(`/api/requests/req_${id}`), 200, RequestDetailResponse);
      assert.equal(d.request.status, word);
    });
  }

  /** stdout of a --json run: exactly one line, one JSON object, and nothing else. */
  const onlyJson = (stdout: string): Record<string, unknown> => {
    const lines = stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, `one line on stdout, got: ${stdout}`);
    const parsed: unknown = JSON.parse(lines[0]!);
    assert.ok(parsed && typeof parsed === 'object' && !Array.isArray(parsed), lines[0]);
    return parsed as Record<string, unknown>;
  };

  test('deploy --json without --wait: the created request as one JSON object; the human line goes to stderr', async () => {
    const r = await runCli(deployArgs('production', ['--json']));
    assert.equal(r.code, 0, r.stderr);
    const out = onlyJson(r.stdout);
    assert.equal(out.status, 'pending');
    assert.equal(out.exitCode, 0);
    assert.match(String(out.id), /^dep_/);
    assert.equal(out.requestId, String(out.id).replace(/^dep_/, 'req_'));
    assert.equal(out.url, `gatehouse://request/${out.requestId}`, 'no publicUrl set: the desktop link');
    assert.deepEqual(out.approvals, []);
    assert.match(String(out.progress), /\S/, 'what it still needs');
    assert.match(r.stderr, new RegExp(`Deployment ${out.id} created \\(pending approval\\)`));
    const d = expectOk(await apiFor(server.url, token(DEV)).get(`/api/requests/${out.requestId}`), 200, RequestDetailResponse);
    assert.equal(d.request.status, 'pending');
  });

  for (const [kind, code, word] of [
    ['approve', 0, 'approved'],
    ['reject', 1, 'rejected'],
  ] as const) {
    test(`deploy --wait --json: {"status": "${word}", "exitCode": ${code}} with who decided, and exit ${code}`, async () => {
      const owner = apiFor(server.url, token('olivia.hart@example.com'));
      expectOk(await owner.patch('/api/settings', { publicUrl: 'https://gatehouse.example.com/' }), 200, SettingsResponse);
      const sre = apiFor(server.url, token(SRE));
      let err = '';
      let decision: Promise<number> | undefined;
      try {
        const r = await runCli(deployArgs('staging', ['--wait', '--timeout', '20s', '--json']), {
          timeoutMs: 30_000,
          onStderr: (chunk) => {
            err += chunk;
            const m = /Deployment dep_(\S+) created/.exec(err);
            if (m && !decision) {
              decision = (async () => {
                await new Promise((res) => setTimeout(res, 300));
                return (await sre.post(`/api/requests/req_${m[1]}/${kind}`, { comment: 'not during the sale' })).status;
              })();
            }
          },
        });
        assert.ok(decision, 'the created line went to stderr');
        assert.equal(await decision, 200, `${kind} via the API`);
        assert.equal(r.code, code, `stdout: ${r.stdout} stderr: ${r.stderr}`);
        const out = onlyJson(r.stdout);
        assert.equal(out.status, word);
        assert.equal(out.exitCode, code);
        assert.equal(out.url, `https://gatehouse.example.com/#/request/${out.requestId}`);
        const d = expectOk(await sre.get(`/api/requests/${out.requestId}`), 200, RequestDetailResponse);
        assert.equal(d.request.status, word);
        if (word === 'approved') {
          assert.deepEqual(
            (out.approvals as { by: string }[]).map((a) => a.by),
            ['Sam Ortiz'],
          );
          assert.equal(out.reason, undefined);
        } else {
          assert.deepEqual(out.approvals, []);
          assert.equal(out.reason, 'rejected by Sam Ortiz: not during the sale');
        }
      } finally {
        expectOk(await owner.patch('/api/settings', { publicUrl: null }), 200, SettingsResponse);
      }
    });
  }

  test('deploy --wait --json --timeout 2s: {"status": "timed_out", "exitCode": 2} with what it still needs, exit 2', async () => {
    const r = await runCli(deployArgs('staging', ['--wait', '--timeout', '2s', '--json']), { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    const out = onlyJson(r.stdout);
    assert.equal(out.status, 'timed_out');
    assert.equal(out.exitCode, 2);
    assert.equal(out.reason, 'still pending after 2 s');
    assert.match(String(out.progress), /\S/);
    const d = expectOk(await apiFor(server.url, token(DEV)).get(`/api/requests/${out.requestId}`), 200, RequestDetailResponse);
    assert.equal(d.request.status, 'pending', 'the request stays pending');
  });

  test('deploy --wait --json to a frozen environment: {"status": "locked", "exitCode": 3} with the message, exit 3', async () => {
    const owner = apiFor(server.url, token('olivia.hart@example.com'));
    const id = envId('checkout', 'dev');
    expectOk(await owner.post(`/api/environments/${id}/freeze`, { reason: 'CLI json freeze' }), 200, EnvironmentResponse);
    try {
      const r = await runCli(deployArgs('dev', ['--wait', '--json']));
      assert.equal(r.code, 3, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      const out = onlyJson(r.stdout);
      assert.equal(out.status, 'locked');
      assert.equal(out.exitCode, 3);
      assert.match(String(out.reason), /Environment "dev" is locked\. Only Admins and Owners can deploy\./);
      assert.equal(out.id, undefined, 'no request was made');
    } finally {
      expectOk(await owner.post(`/api/environments/${id}/unfreeze`, {}), 200, EnvironmentResponse);
    }
  });

  test('deploy --json with bad input still ends in one JSON object: {"status": "error", "exitCode": 1}', async () => {
    for (const [extra, message] of [
      [['--env', 'nowhere'], /no environment "nowhere" in project checkout/],
      [['--bogus'], /bogus/],
      [['--timeout', '5s'], /--timeout only makes sense with --wait/],
    ] as const) {
      // a flag given twice: the last one counts
      const r = await runCli(deployArgs('production', ['--json', ...extra]));
      assert.equal(r.code, 1, `${extra.join(' ')}: ${r.stderr}`);
      const out = onlyJson(r.stdout);
      assert.equal(out.status, 'error');
      assert.equal(out.exitCode, 1);
      assert.match(String(out.reason), message);
      assert.match(r.stderr, message);
    }
  });

  const baseArgs = () => ['deploy', '--server', server.url, '--project', 'checkout', '--env', 'dev', '--revision', 'abc', '--reason', 'CLI token test'];

  test('the token from --token-file or GATEHOUSE_TOKEN: no warning; --token works but warns that others can see it', async () => {
    const fromFile = await runCli([...baseArgs(), '--token-file', tokenFile(DEV)]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.doesNotMatch(fromFile.stderr, /warning/);
    const fromEnv = await runCli(baseArgs(), { env: { GATEHOUSE_TOKEN: token(DEV) } });
    assert.equal(fromEnv.code, 0, fromEnv.stderr);
    assert.doesNotMatch(fromEnv.stderr, /warning/);
    const inArgs = await runCli([...baseArgs(), '--token', token(DEV)]);
    assert.equal(inArgs.code, 0, inArgs.stderr);
    assert.match(inArgs.stderr, /warning: --token .*visible to other users/);
  });

  test('a missing, unreadable, empty or directory token file, or no token at all: exit 1 with a clear error', async () => {
    const dir = tempDir();
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    const locked = join(dir, 'locked');
    writeFileSync(locked, token(DEV));
    chmodSync(locked, 0o000);
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const unset = { GATEHOUSE_TOKEN: undefined };
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--token-file', join(dir, 'nope')], unset, /cannot read --token-file .*nope: no such file/],
      [['--token-file', empty], unset, /--token-file .*empty is empty/],
      [['--token-file', sub], unset, /cannot read --token-file .*sub: it is a directory/],
      [[], unset, /an API token is required: --token-file FILE or GATEHOUSE_TOKEN/],
      [[], { GATEHOUSE_TOKEN: ' ' }, /GATEHOUSE_TOKEN is empty/],
      [['--token-file', empty, '--token', 'x'], unset, /not both/],
    ];
    // root reads any file whatever its mode
    if (process.getuid?.() !== 0) cases.push([['--token-file', locked], unset, /cannot read --token-file .*locked: permission denied/]);
    for (const [extra, env, message] of cases) {
      const r = await runCli([...baseArgs(), ...extra], { env });
      assert.equal(r.code, 1, `${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('deploy with a bad token → exit 1 with the error', async () => {
    const r = await runCli(['deploy', '--server', server.url, '--token', 'ghs_bogus', '--project', 'checkout', '--env', 'production', '--revision', 'abc']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /token/i);
  });
});
