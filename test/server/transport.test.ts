// Transport and abuse, written as the attacks: a token sent in clear (serve has no TLS), a data
// directory anyone on the machine can read, one user flooding writes or event streams, a diff that
// is not UTF-8 (stored and hashed as something other than what is served), and `deploy` sending a
// token over plain http to a remote host. Each must be refused.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { RequestResponse } from '../../shared/schemas/index.ts';
import { apiFor, cleanupTempDirs, demoDir, expectError, initDir, killAll, rawHttp, runCli, ServerProcess, startServer, tempDir } from './harness.ts';
import { testStore } from '../postgres.ts';

after(() => {
  killAll();
  cleanupTempDirs();
});

const mode = (file: string) => statSync(file).mode & 0o777;

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function httpsGet(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((res, rej) => {
    const req = httpsRequest(url, { ca, headers: { authorization: `Bearer ${token}` } }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (c: string) => (body += c));
      r.on('end', () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on('error', rej);
    req.end();
  });
}

describe('TLS: serve --tls-cert/--tls-key', () => {
  test('attack: the token crosses the wire in clear → with a certificate, serve speaks only HTTPS', async () => {
    const { dir, ownerToken } = await initDir('tls@example.com');
    const { cert, key } = selfSigned(tempDir());
    const server = await startServer(dir, ['--tls-cert', cert, '--tls-key', key]);
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'prints listening on https://…');
      const me = await httpsGet(`${server.url}/api/me`, readFileSync(cert, 'utf8'), ownerToken);
      assert.equal(me.status, 200);
      assert.match(me.body, /tls@example\.com/);
      // A plain-http client gets no API answer from the TLS port.
      const plain = server.url.replace('https://', 'http://');
      const clear = await fetch(`${plain}/api/me`, { headers: { authorization: `Bearer ${ownerToken}` } }).then(
        (r) => r.status,
        () => 'refused',
      );
      assert.notEqual(clear, 200, 'no answer over plain http');
    } finally {
      await server.stop();
    }
  });

  test('one flag without the other, an unreadable file, a file that is not PEM, a key of another certificate → exit 1, clear message', async () => {
    const { dir } = await initDir('tls2@example.com');
    const certs = tempDir();
    const { cert, key } = selfSigned(certs);
    const other = selfSigned(tempDir());
    const junk = join(certs, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const cases: [string[], RegExp][] = [
      [['--tls-cert', cert], /--tls-cert and --tls-key go together/],
      [['--tls-key', key], /--tls-cert and --tls-key go together/],
      [['--tls-cert', join(certs, 'missing.pem'), '--tls-key', key], /cannot read --tls-cert .*missing\.pem/],
      [['--tls-cert', cert, '--tls-key', join(certs, 'missing.pem')], /cannot read --tls-key .*missing\.pem/],
      [['--tls-cert', junk, '--tls-key', key], /not a usable PEM certificate and matching private key/],
      [['--tls-cert', cert, '--tls-key', other.key], /not a usable PEM certificate and matching private key/],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['serve', '--data', dir, '--port', '0', ...flags], { timeoutMs: 20_000 });
      assert.equal(r.code, 1, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, flags.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(r.stdout, /listening/);
    }
  });
});

describe('file modes', () => {
  // On PostgreSQL the data dir holds no database, only the audit signing key: the same modes apply to it.
  const OWN = testStore() === 'postgres' ? 'audit-signing.key' : 'gatehouse.db';

  test('attack: other users of the machine read the database (umask 022) → init makes the dir 0700 and the database 0600', async () => {
    const { dir, ownerToken } = await initDir('modes@example.com');
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, OWN)), 0o600);
    const server = await startServer(dir);
    try {
      await apiFor(server.url, ownerToken).post('/api/teams', { name: 'wal' });
      for (const f of ['gatehouse.db', 'gatehouse.db-wal', 'gatehouse.db-shm'])
        if (existsSync(join(dir, f))) assert.equal(mode(join(dir, f)), 0o600, `${f} while serving`);
    } finally {
      await server.stop();
    }
  });

  test('an existing data dir left readable (0755, 0644) is tightened on serve, with a warning', async () => {
    const { dir } = await initDir('loose@example.com');
    chmodSync(dir, 0o755);
    chmodSync(join(dir, OWN), 0o644);
    const server = await startServer(dir);
    try {
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(join(dir, OWN)), 0o600);
      assert.match(server.stderr, /warning: data directory .* was mode 0755; set to 0700/);
      assert.ok(server.stderr.includes(`${OWN} was mode 0644; set to 0600`), server.stderr);
    } finally {
      await server.stop();
    }
  });

  test('init --data pointed at a shared, non-empty directory leaves it and the other files in it alone, with a warning', async () => {
    const shared = tempDir();
    chmodSync(shared, 0o755);
    const theirs = join(shared, 'notes.txt');
    writeFileSync(theirs, 'not ours\n');
    chmodSync(theirs, 0o644);
    const r = await runCli(['init', '--data', shared, '--owner-email', 'shared@example.com']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(mode(shared), 0o755, 'not chmodded');
    assert.equal(mode(theirs), 0o644, 'not ours: untouched');
    assert.equal(mode(join(shared, OWN)), 0o600, 'ours: private');
    assert.match(r.stderr, /warning: data directory .* is mode 0755: other users can list it; use a directory of its own, mode 0700/);
  });
});

describe('rate limits', () => {
  test('attack: one user floods writes → 429 rate_limited with Retry-After, others unaffected; the budget is per user, not per address', async () => {
    const { dir, users, token } = await demoDir();
    const server = await startServer(dir, ['--max-writes-per-minute', '5']);
    try {
      const flooder = apiFor(server.url, token(users.find((u) => u.orgRole === 'member')!.email));
      const statuses: number[] = [];
      let refused: Awaited<ReturnType<typeof flooder.post>> | undefined;
      for (let i = 0; i < 8; i++) {
        // A write a member may make (their own tokens), so only the limiter can refuse it.
        const r = await flooder.post('/api/tokens', { name: `flood-${i}` });
        statuses.push(r.status);
        if (r.status === 429) refused ??= r;
      }
      assert.equal(statuses.filter((s) => s !== 429).length, 5, `5 writes pass, then 429 (${statuses.join(' ')})`);
      assert.ok(refused, 'refused');
      expectError(refused, 429, 'rate_limited', /too many writes/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After in seconds: ${refused.headers.get('retry-after')}`);
      // Reads are not writes.
      assert.equal((await flooder.get('/api/me')).status, 200);
      // Another user on the same address has a budget of their own.
      const owner = apiFor(server.url, token(users.find((u) => u.orgRole === 'owner')!.email));
      assert.equal((await owner.post('/api/teams', { name: 'not-flooded' })).status, 201);
      // Without a valid token: 401 as before, and no budget is spent.
      assert.equal((await apiFor(server.url, 'ghs_nope').post('/api/teams', { name: 'x' })).status, 401);
    } finally {
      await server.stop();
    }
  });

  test('the default is 120 writes a minute per user', async () => {
    const { dir, users, token } = await demoDir();
    // Not the raised limits every other suite runs with: the product's default.
    const server = await new ServerProcess(dir, [], false).start();
    try {
      const api = apiFor(server.url, token(users.find((u) => u.orgRole === 'owner')!.email));
      const statuses = await Promise.all(Array.from({ length: 125 }, (_, i) => api.post('/api/teams', { name: `t-${i}` }).then((r) => r.status)));
      assert.equal(statuses.filter((s) => s === 429).length, 5, 'the 121st write onwards is refused');
    } finally {
      await server.stop();
    }
    const help = await runCli(['serve', '--help']);
    assert.match(help.stdout, /--max-writes-per-minute 120\] \[--max-streams-per-user 10\]/);
  });

  test('attack: one user opens event streams until the server runs out → the 4th of 3 is 429 rate_limited with Retry-After; closing one frees a slot', async () => {
    const { dir, users, token } = await demoDir();
    const server = await startServer(dir, ['--max-streams-per-user', '3']);
    const t = token(users.find((u) => u.orgRole === 'member')!.email);
    const controllers: AbortController[] = [];
    const open = async () => {
      const c = new AbortController();
      const res = await fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${t}` }, signal: c.signal });
      controllers.push(c);
      return res;
    };
    try {
      for (let i = 0; i < 3; i++) assert.equal((await open()).status, 200);
      const fourth = await open();
      assert.equal(fourth.status, 429);
      assert.equal(fourth.headers.get('retry-after'), '10');
      const body = (await fourth.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'rate_limited');
      assert.match(body.error.message, /too many open event streams: at most 3/);
      // Someone else still gets a stream.
      const other = await fetch(`${server.url}/api/events`, {
        headers: { authorization: `Bearer ${token(users.find((u) => u.orgRole === 'owner')!.email)}` },
        signal: AbortSignal.timeout(2000),
      });
      assert.equal(other.status, 200);
      await other.body?.cancel();
      controllers.shift()!.abort();
      let again: Response | undefined;
      for (let i = 0; i < 50 && again?.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        again = await open();
      }
      assert.equal(again?.status, 200, 'a closed stream frees its slot');
    } finally {
      for (const c of controllers) c.abort();
      await server.stop();
    }
  });

  test('a reconnect storm: past --max-stream-opens-per-second, new streams are 503 unavailable with a Retry-After that grows with the queue; other calls pass', async () => {
    const { dir, users, token } = await demoDir();
    // 10 a second: a burst of 1, then one return slot every 100 ms, 10 to a second of Retry-After.
    const server = await startServer(dir, ['--max-stream-opens-per-second', '10']);
    const members = users.filter((u) => u.orgRole === 'member');
    const controllers: AbortController[] = [];
    const open = async (email: string) => {
      const c = new AbortController();
      controllers.push(c);
      return fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${token(email)}` }, signal: c.signal });
    };
    try {
      const answers = await Promise.all(Array.from({ length: 25 }, (_, i) => open(members[i % members.length]!.email)));
      const statuses = answers.map((r) => r.status);
      assert.ok(statuses.filter((s) => s === 200).length <= 3, `a burst of one (and what refilled meanwhile): ${statuses.join(' ')}`);
      const refused = answers.filter((r) => r.status === 503);
      assert.ok(refused.length >= 20, `the rest are paced: ${statuses.join(' ')}`);
      const waits = refused.map((r) => Number(r.headers.get('retry-after')));
      assert.ok(
        waits.every((w) => Number.isInteger(w) && w >= 1),
        `Retry-After in whole seconds: ${waits}`,
      );
      assert.ok(Math.max(...waits) >= 2, `more than one second's worth are told to wait longer: ${waits}`);
      const body = (await refused[0]!.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'unavailable');
      assert.match(body.error.message, /taking on new event streams at 10 a second; try again in \d+ s/);
      // Ordinary calls are not paced.
      assert.equal((await apiFor(server.url, token(members[0]!.email)).get('/api/me')).status, 200);
    } finally {
      for (const c of controllers) c.abort();
      await server.stop();
    }
    const bad = await runCli(['serve', '--data', dir, '--max-stream-opens-per-second', '0']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--max-stream-opens-per-second must be a whole number from 1, got "0"/);
  });
});

describe('diffs are UTF-8 and the digest binds the served bytes', () => {
  const prod = async () => {
    const { dir, users, token } = await demoDir();
    const server = await startServer(dir);
    const owner = apiFor(server.url, token(users.find((u) => u.orgRole === 'owner')!.email));
    const envs = (await owner.get('/api/environments')).body as { environments: { id: string; projectId: string; name: string }[] };
    const env = envs.environments.find((e) => e.name === 'dev')!;
    const body = (diff: string) => ({
      action: 'release.deploy',
      resource: { projectId: env.projectId, environmentId: env.id },
      justification: 'utf-8 check',
      payload: { revision: 'r1', diff },
    });
    return { server, owner, body, ownerToken: token(users.find((u) => u.orgRole === 'owner')!.email) };
  };

  test('attack: a lone surrogate in the diff (served as U+FFFD, hashed as \\ud800) → 400 invalid_request', async () => {
    const { server, owner, body } = await prod();
    try {
      const raw = JSON.stringify(body('diff --git a/x b/x\n+ok\n')).replace('+ok', '+\\ud800 lone');
      const r = await owner.call('POST', '/api/requests', { raw });
      expectError(r, 400, 'invalid_request', /diff must be valid UTF-8/);
    } finally {
      await server.stop();
    }
  });

  test('attack: invalid UTF-8 bytes in the body (silently turned into U+FFFD) → 400 invalid_request', async () => {
    const { server, body, ownerToken } = await prod();
    try {
      const json = Buffer.from(JSON.stringify(body('diff --git a/x b/x\n+XX\n')), 'utf8');
      const at = json.indexOf('XX');
      json[at] = 0xc3; // a lead byte followed by "X": not UTF-8
      json[at + 1] = 0x28;
      const r = await rawHttp(server.url, 'POST', '/api/requests', { authorization: `Bearer ${ownerToken}`, 'content-type': 'application/json' }, json);
      expectError(r, 400, 'invalid_request', /not valid UTF-8/);
    } finally {
      await server.stop();
    }
  });

  test('the bytes GET /api/requests/:id/diff serves hash (SHA-256) to the request digest and its ETag', async () => {
    const { server, owner, body, ownerToken } = await prod();
    try {
      for (const diff of ['diff --git a/ü b/ü\n+emoji 🚀 and CJK 漢字\n', '', 'no newline at end']) {
        const created = await owner.post('/api/requests', body(diff));
        assert.ok(created.status === 201 || created.status === 202, `${created.status} ${created.text}`);
        const request = RequestResponse.parse(created.body).request;
        const res = await fetch(`${server.url}/api/requests/${request.id}/diff`, { headers: { authorization: `Bearer ${ownerToken}` } });
        assert.equal(res.status, 200);
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(createHash('sha256').update(bytes).digest('hex'), request.digest, JSON.stringify(diff));
        assert.equal(res.headers.get('etag'), `"${request.digest}"`);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('gatehouse deploy refuses plain http to a remote host', () => {
  test('attack: --server http://remote sends the token in clear → exit 1 suggesting https or --allow-insecure-http', async () => {
    const r = await runCli(['deploy', '--server', 'http://gatehouse.example.com:8787', '--token', 'ghs_x', '--project', 'p', '--env', 'e', '--revision', 'r']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing plain http to gatehouse\.example\.com:8787/);
    assert.match(r.stderr, /https:\/\/gatehouse\.example\.com:8787/);
    assert.match(r.stderr, /--allow-insecure-http/);
    assert.doesNotMatch(r.stderr, /cannot reach/, 'refused before any connection');
  });

  test('--allow-insecure-http lets it through (then it fails to connect: the refusal was the flag, not the network)', async () => {
    const r = await runCli(
      ['deploy', '--server', 'http://gatehouse.invalid:9', '--token', 'ghs_x', '--project', 'p', '--env', 'e', '--revision', 'r', '--allow-insecure-http'],
      {
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stderr, /refusing plain http/);
  });
});
