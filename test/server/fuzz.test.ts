// Fuzz: ~3000 generated junk requests across every POST/PATCH/DELETE route (valid and invalid ids,
// several callers): random JSON, wrong types for the right keys, huge strings, __proto__ and
// constructor keys, deep nesting, invalid JSON text, wrong content types. Every answer must be a
// 4xx (a 2xx only when the body really is valid for the route), never a 5xx, never a dropped
// connection; the server must still answer /healthz afterwards. Seeded, so failures reproduce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { z } from 'zod';
import {
  ApproveBody,
  CreateBindingBody,
  CreateEnvironmentBody,
  CreatePolicyBody,
  CreateRequestBody,
  CreateUserBody,
  ErrorBody,
  FreezeBody,
  NamedBody,
  PatchEnvironmentBody,
  PatchPolicyBody,
  PatchUserBody,
  NudgeBody,
  RejectBody,
  SessionResponse,
  ReviewBreakGlassBody,
  StartBreakGlassBody,
  UnfreezeBody,
} from '../../shared/schemas/index.ts';
import { call, rawHttp, expectOk, type ServerProcess } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const TOTAL = Number(process.env.FUZZ_RUNS ?? 3000);
const CONCURRENCY = 8;

let server: ServerProcess;
let org: Org;

useOrgServer((s, o) => ((server = s), (org = o)));

interface Route {
  method: 'POST' | 'PATCH' | 'DELETE';
  path: string; // with :id
  schema?: z.ZodType; // undefined: the route reads no body
  keys: string[];
  idKind?: 'user' | 'env' | 'policy' | 'binding' | 'request' | 'session';
}

const ROUTES: Route[] = [
  { method: 'POST', path: '/api/users', schema: CreateUserBody, keys: ['name', 'email', 'orgRole', 'roles', 'teamIds'] },
  { method: 'PATCH', path: '/api/users/:id', schema: PatchUserBody, keys: ['name', 'email', 'orgRole', 'roles', 'teamIds'], idKind: 'user' },
  { method: 'POST', path: '/api/teams', schema: NamedBody, keys: ['name'] },
  { method: 'POST', path: '/api/projects', schema: NamedBody, keys: ['name'] },
  { method: 'POST', path: '/api/clusters', schema: NamedBody, keys: ['name'] },
  { method: 'POST', path: '/api/environments', schema: CreateEnvironmentBody, keys: ['projectId', 'name', 'clusterId', 'protection', 'reviewers'] },
  { method: 'PATCH', path: '/api/environments/:id', schema: PatchEnvironmentBody, keys: ['protection', 'reviewers'], idKind: 'env' },
  {
    method: 'POST',
    path: '/api/policies',
    schema: CreatePolicyBody,
    keys: ['name', 'description', 'actions', 'approvers', 'quorum', 'conditions', 'requesterCanApprove', 'adminBypass'],
  },
  { method: 'PATCH', path: '/api/policies/:id', schema: PatchPolicyBody, keys: ['name', 'actions', 'approvers', 'quorum', 'conditions'], idKind: 'policy' },
  { method: 'DELETE', path: '/api/policies/:id', keys: [], idKind: 'policy' },
  { method: 'POST', path: '/api/bindings', schema: CreateBindingBody, keys: ['policyId', 'scope', 'targetId'] },
  { method: 'DELETE', path: '/api/bindings/:id', keys: [], idKind: 'binding' },
  { method: 'POST', path: '/api/requests', schema: CreateRequestBody, keys: ['action', 'resource', 'justification', 'payload'] },
  { method: 'POST', path: '/api/requests/:id/approve', schema: ApproveBody, keys: ['comment', 'reviewedDigest'], idKind: 'request' },
  { method: 'POST', path: '/api/requests/:id/reject', schema: RejectBody, keys: ['comment'], idKind: 'request' },
  { method: 'POST', path: '/api/requests/:id/cancel', keys: [], idKind: 'request' },
  { method: 'POST', path: '/api/requests/:id/nudge', schema: NudgeBody, keys: ['userIds', 'message'], idKind: 'request' },
  { method: 'POST', path: '/api/environments/:id/freeze', schema: FreezeBody, keys: ['reason', 'until'], idKind: 'env' },
  { method: 'POST', path: '/api/environments/:id/unfreeze', schema: UnfreezeBody, keys: ['reason'], idKind: 'env' },
  { method: 'POST', path: '/api/breakglass', schema: StartBreakGlassBody, keys: ['reason', 'scope', 'durationMinutes'] },
  { method: 'POST', path: '/api/breakglass/:id/revoke', keys: [], idKind: 'session' },
  { method: 'POST', path: '/api/breakglass/:id/review', schema: ReviewBreakGlassBody, keys: ['verdict', 'notes'], idKind: 'session' },
];

const BAD_IDS = [
  '%E0%A4%A',
  'nope',
  'req_doesnotexist',
  '__proto__',
  'constructor',
  '%00',
  '%20',
  'x'.repeat(300),
  '%E2%9C%93',
  '..%2F..%2Fetc',
  "1'%20OR%20'1'%3D'1",
  '%F0%9F%98%80',
];

type Kind = 'json' | 'keys' | 'huge' | 'proto' | 'deep' | 'invalid' | 'ctype' | 'empty' | 'noauth';

interface Case {
  route: Route;
  id: string | undefined;
  validId: boolean;
  who: 'owner' | 'admin' | 'm1' | 'plain';
  kind: Kind;
  raw?: string;
  value?: unknown;
  contentType: string | undefined;
  idempotencyKey?: string;
}

const json = fc.jsonValue({ maxDepth: 4 });
const anyValue = fc.oneof(
  json,
  fc.constantFrom(null, 0, -1, 1e308, '', ' ', '\u0000', 'release.deploy', 'owner', true, false, [], {}, [[[]]], { id: 1 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.integer(),
  fc.double(),
);

function deepJson(depth: number, kind: 'object' | 'array'): string {
  return kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : '['.repeat(depth) + ']'.repeat(depth);
}

function buildCases(ids: Record<NonNullable<Route['idKind']>, string[]>): Case[] {
  const rng = fc.sample(
    fc.record({
      r: fc.nat(ROUTES.length - 1),
      kind: fc.constantFrom<Kind>('json', 'json', 'keys', 'keys', 'keys', 'huge', 'proto', 'deep', 'invalid', 'ctype', 'empty', 'noauth'),
      who: fc.constantFrom<Case['who']>('owner', 'admin', 'm1', 'm1', 'plain'),
      useValidId: fc.boolean(),
      idPick: fc.nat(1000),
      value: anyValue,
      keyValues: fc.array(anyValue, { minLength: 8, maxLength: 8 }),
      keyMask: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      extraKey: fc.option(fc.constantFrom('extra', 'id', 'status', 'decisions', 'requesterId', 'digest'), { nil: undefined }),
      hugeLen: fc.constantFrom(100_000, 500_000, 1_100_000),
      deepDepth: fc.constantFrom(500, 5_000, 20_000, 60_000),
      deepKind: fc.constantFrom<'object' | 'array'>('object', 'array'),
      invalid: fc.constantFrom(
        '{',
        '{"a":',
        '{"name": "x",}',
        "{'name': 'x'}",
        'undefined',
        'NaN',
        '{"a":1}{"b":2}',
        '[1,2',
        '"unterminated',
        '\u0000',
        '{"name":"\\uZZZZ"}',
        'nul',
        '-',
        '01',
        '{"__proto__":',
        '\ufeff{"name":"x"}',
      ),
      ctype: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/octet-stream',
        'image/png',
        'application/jsonx',
        '',
      ),
      withKey: fc.boolean(),
    }),
    { numRuns: TOTAL, seed: SEED },
  );
  return rng.map((g, n): Case => {
    const route = ROUTES[g.r]!;
    let id: string | undefined;
    let validId = false;
    if (route.idKind) {
      const pool = ids[route.idKind];
      if (g.useValidId && pool.length) {
        id = pool[g.idPick % pool.length]!;
        validId = true;
      } else id = BAD_IDS[g.idPick % BAD_IDS.length]!;
    }
    const c: Case = {
      route,
      id,
      validId,
      who: g.who,
      kind: g.kind,
      contentType: 'application/json',
      ...(g.withKey ? { idempotencyKey: `fuzz-${SEED}-${n}` } : {}),
    };
    switch (g.kind) {
      case 'json':
      case 'noauth':
        c.value = g.value;
        break;
      case 'keys': {
        // the route's own keys with values of random (mostly wrong) types
        const obj: Record<string, unknown> = {};
        route.keys.forEach((k, i) => {
          if (g.keyMask[i % 8]) obj[k] = g.keyValues[i % 8];
        });
        if (g.extraKey) obj[g.extraKey] = g.keyValues[7];
        c.value = obj;
        break;
      }
      case 'huge': {
        const k = route.keys[g.idPick % Math.max(1, route.keys.length)] ?? 'name';
        c.raw = JSON.stringify({ [k]: 'h'.repeat(g.hugeLen) });
        break;
      }
      case 'proto': {
        const k = route.keys[0] ?? 'x';
        const variants = [
          `{"__proto__": {"isAdmin": true}, "${k}": "x"}`,
          `{"${k}": {"__proto__": {"polluted": 1}}}`,
          `{"constructor": {"prototype": {"polluted": 1}}}`,
          `{"${k}": [{"constructor": {"prototype": {"x": 1}}}]}`,
        ];
        c.raw = variants[g.idPick % variants.length];
        break;
      }
      case 'deep': {
        // deep nesting on its own, and under a real key whose schema is a non-strict object
        const nest = deepJson(g.deepDepth, g.deepKind);
        const k = route.keys.find((x) => ['reviewers', 'approvers', 'quorum', 'conditions', 'resource', 'scope'].includes(x));
        c.raw = g.idPick % 2 === 0 || !k ? nest : `{"${k}": {"junk": ${nest}}}`;
        break;
      }
      case 'invalid':
        c.raw = g.invalid;
        break;
      case 'ctype':
        c.contentType = g.ctype || undefined;
        c.raw = g.ctype.startsWith('application/json') ? JSON.stringify({ name: 'x' }) : g.ctype.includes('form') ? 'name=x&email=y' : '<name>x</name>';
        break;
      case 'empty':
        c.raw = '';
        break;
    }
    return c;
  });
}

/** A 2xx is fine only when the body would pass the route's schema (or the route reads none). */
function bodyIsValid(c: Case): boolean {
  if (!c.contentType?.startsWith('application/json')) return c.route.schema === undefined && c.raw === undefined;
  let value: unknown;
  if (c.raw !== undefined) {
    if (c.raw === '') return false;
    try {
      value = JSON.parse(c.raw.replace(/^\ufeff/, '')); // a leading BOM is tolerated, as Fastify does
    } catch {
      return false;
    }
    if (/__proto__|constructor/.test(c.raw)) return false;
  } else value = c.value;
  if (c.route.schema === undefined) return true;
  return c.route.schema.safeParse(value === undefined ? {} : value).success;
}

interface Failure {
  what: string;
  status: number | 'dropped';
  code: string;
  example: string;
}
const failures: Failure[] = [];
let ran = false;

function report(list: Failure[]): string {
  // grouped by the kind of failure so one bug doesn't drown the others
  const groups = new Map<string, Failure[]>();
  for (const f of list) {
    const key = `${f.what}: ${f.status} ${f.code}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.entries()]
    .map(
      ([k, v]) =>
        `${v.length} × ${k}\n      e.g. ${v
          .slice(0, 3)
          .map((f) => f.example)
          .join('\n      e.g. ')}`,
    )
    .join('\n  ');
}

test(`fuzz: ${TOTAL} junk requests across every POST/PATCH/DELETE route → never a 5xx or a dropped connection; /healthz after`, {
  timeout: 180_000,
}, async () => {
  // real ids to aim at
  const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
  const env2 = await org.env({ protection: 'none' });
  const { policyId, bindingId } = await org.policyOn(env2.id, { actions: ['cluster.restart'], teamIds: [org.alpha.id] });
  const reqs = await Promise.all([0, 1, 2].map(() => org.request(org.m3, env.id, 'pending')));
  const session = expectOk(
    await org.bg.api.post('/api/breakglass', { reason: 'fuzzing the server today', scope: { actions: ['cluster.restart'] }, durationMinutes: 30 }),
    201,
    SessionResponse,
  ).session;
  const ids = {
    user: [org.m2.id, org.plain.id],
    env: [env.id, env2.id],
    policy: [policyId],
    binding: [bindingId],
    request: reqs.map((r) => r.id),
    session: [session.id],
  };
  const cases = buildCases(ids);
  const tokens = { owner: org.owner.token, admin: org.admin.token, m1: org.m1.token, plain: org.plain.token };

  const statusCounts = new Map<number, number>();
  let next = 0;
  const short = (t: string, n: number) => (t.length > n ? `${t.slice(0, n)}…(${t.length} chars)` : t);
  const describeCase = (c: Case) =>
    `${c.route.method} ${short(c.route.path.replace(':id', c.id ?? ''), 60)} as ${c.kind === 'noauth' ? 'nobody' : c.who} kind=${c.kind} ctype=${c.contentType} idempotency-key=${c.idempotencyKey ? 'yes' : 'no'} body=${short(c.raw ?? JSON.stringify(c.value) ?? 'undefined', 60)}`;
  const urlLevelBadId = (c: Case) => c.id !== undefined && (c.id.length > 100 || c.id === '%E0%A4%A');
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const path = c.route.path.replace(':id', c.id ?? '');
      const headers: Record<string, string> = {};
      if (c.idempotencyKey) headers['idempotency-key'] = c.idempotencyKey;
      const body: string | undefined = c.raw ?? (c.value === undefined ? undefined : JSON.stringify(c.value));
      try {
        const token = c.kind === 'noauth' ? undefined : tokens[c.who];
        // Over 1 MiB the server answers 413 before reading the body and closes: fetch reports
        // that as a failed upload, so those go through a client that reads while it sends.
        const res =
          body !== undefined && body.length > 1024 * 1024
            ? await rawHttp(
                server.url,
                c.route.method,
                path,
                { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}), ...(c.contentType ? { 'content-type': c.contentType } : {}) },
                body,
              )
            : await call(server.url, token, c.route.method, path, {
                headers: { ...headers, ...(body !== undefined && c.contentType ? { 'content-type': c.contentType } : {}) },
                ...(body !== undefined ? { raw: body } : {}),
                ...(c.contentType && body !== undefined ? { contentType: c.contentType } : {}),
              });
        statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
        const b = res.body as { error?: { code?: string } | string; code?: string } | undefined;
        const code = String((typeof b?.error === 'object' ? b.error.code : b?.code) ?? '');
        const fail = (what: string) => failures.push({ what, status: res.status, code, example: `${describeCase(c)} → ${short(res.text, 110)}` });
        if (res.status >= 500) fail('5xx');
        else if (res.status < 400 && !bodyIsValid(c)) fail('2xx/3xx for an invalid body');
        else if (res.status >= 400 && !ErrorBody.safeParse(res.body).success) fail('error body not {error: {code, message}}');
        if (c.kind === 'noauth' && res.status !== 401 && !urlLevelBadId(c)) fail('not 401 without a token');
      } catch (err) {
        failures.push({
          what: 'dropped connection',
          status: 'dropped',
          code: String((err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message),
          example: describeCase(c),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const health = await call(server.url, undefined, 'GET', '/healthz');
  assert.equal(health.status, 200, 'still healthy after the fuzz');
  assert.ok(server.running, 'server process still running');
  const counts = [...statusCounts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');
  assert.equal([...statusCounts.values()].reduce((a, b) => a + b, 0) + failures.filter((f) => f.status === 'dropped').length, TOTAL);
  ran = true;
  const fatal = failures.filter((f) => f.status === 'dropped' || f.status >= 500);
  assert.equal(fatal.length, 0, `${fatal.length} 5xx or dropped answers of ${TOTAL} (statuses: ${counts}; seed ${SEED}):\n  ${report(fatal)}`);
});

test('fuzz: every refusal is a 4xx with the {error: {code, message}} shape, 401 without a token, 2xx only for valid bodies', () => {
  assert.ok(ran, 'the fuzz run happened');
  const rest = failures.filter((f) => f.status !== 'dropped' && f.status < 500);
  assert.equal(rest.length, 0, `${rest.length} bad answers of ${TOTAL} (seed ${SEED}):\n  ${report(rest)}`);
});
