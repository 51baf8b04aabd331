// A request's cost estimate (docs/api.md, "Requests"): accepted within bounds, refused with a clear
// 400 otherwise (and nothing created), shown on lists, the detail and sync, outside the digest.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { RequestDetailResponse, RequestResponse, RequestsResponse } from '../../shared/schemas/index.ts';
import { expectError, expectOk, uniq } from './harness.ts';
import { useOrgServer, type Org } from './fixtures.ts';

let org: Org;

useOrgServer((_server, o) => (org = o));

const rollback = (environmentId: string, payload: Record<string, unknown>) => ({
  action: 'rollback.execute',
  resource: { environmentId },
  justification: 'roll back the bad release',
  payload,
});

async function countOn(envId: string): Promise<number> {
  return expectOk(await org.m3.api.get(`/api/requests?environmentId=${envId}`), 200, RequestsResponse).requests.length;
}

describe('payload.cost', () => {
  test('accepted: stored, on the list and the detail, recorded in the audit event; the digest stays the diff’s', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const diff = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-1\n+2\n';
    const cost = { totalMonthlyCost: 1234.5, monthlyCostDiff: -200.25, currency: 'EUR' };
    const { request } = expectOk(await org.m3.api.post('/api/requests', rollback(env.id, { revision: 'r1', diff, cost })), 201, RequestResponse);
    assert.deepEqual(request.payload.cost, cost);
    assert.equal(request.digest, createHash('sha256').update(diff, 'utf8').digest('hex'), 'the digest is still the hash of the bytes GET …/diff serves');
    const detail = expectOk(await org.m3.api.get(`/api/requests/${request.id}`), 200, RequestDetailResponse);
    assert.deepEqual(detail.request.payload.cost, cost);
    const listed = expectOk(await org.m3.api.get(`/api/requests?environmentId=${env.id}`), 200, RequestsResponse).requests;
    assert.deepEqual(listed.find((r) => r.id === request.id)?.payload.cost, cost);
    const audit = (await org.owner.api.get(`/api/audit?subject=${request.id}`)).body as { events: { type: string; details: Record<string, unknown> }[] };
    assert.deepEqual(audit.events.find((e) => e.type === 'request.created')?.details.cost, cost);
  });

  test('accepted: zero totals, no currency, integer figures; a request without cost has none', async () => {
    const env = await org.env({ protection: 'none' });
    const { request } = expectOk(
      await org.m3.api.post('/api/requests', rollback(env.id, { cost: { totalMonthlyCost: 0, monthlyCostDiff: 0 } })),
      201,
      RequestResponse,
    );
    assert.deepEqual(request.payload.cost, { totalMonthlyCost: 0, monthlyCostDiff: 0 });
    const plain = expectOk(await org.m3.api.post('/api/requests', rollback(env.id, {})), 201, RequestResponse).request;
    assert.equal(plain.payload.cost, undefined);
  });

  const refusals: [string, string, RegExp][] = [
    ['a negative total', '{"totalMonthlyCost":-1,"monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['an infinite total (1e999 parses to Infinity)', '{"totalMonthlyCost":1e999,"monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['an infinite saving', '{"totalMonthlyCost":1,"monthlyCostDiff":-1e999}', /payload\.cost\.monthlyCostDiff/],
    ['a total past the bound', '{"totalMonthlyCost":1000000000001,"monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['a number as a string', '{"totalMonthlyCost":"12","monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['NaN as a string', '{"totalMonthlyCost":"NaN","monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['null', '{"totalMonthlyCost":null,"monthlyCostDiff":0}', /payload\.cost\.totalMonthlyCost/],
    ['a missing diff', '{"totalMonthlyCost":10}', /payload\.cost\.monthlyCostDiff/],
    ['a lower-case currency', '{"totalMonthlyCost":1,"monthlyCostDiff":0,"currency":"eur"}', /3-letter ISO 4217/],
    ['a 4-letter currency', '{"totalMonthlyCost":1,"monthlyCostDiff":0,"currency":"EURO"}', /3-letter ISO 4217/],
    ['an unknown key', '{"totalMonthlyCost":1,"monthlyCostDiff":0,"note":"x"}', /note/],
  ];
  for (const [what, cost, message] of refusals) {
    test(`refused with 400 invalid_request, nothing created: ${what}`, async () => {
      const env = await org.env({ protection: 'none' });
      const raw = `{"action":"rollback.execute","resource":{"environmentId":${JSON.stringify(env.id)}},"justification":"x","payload":{"cost":${cost}}}`;
      const res = await org.m3.api.call('POST', '/api/requests', { raw, headers: { 'idempotency-key': uniq('cost') } });
      const error = expectError(res, 400, 'invalid_request');
      assert.match(JSON.stringify(error), message);
      assert.equal(await countOn(env.id), 0);
    });
  }

  test('NaN is not JSON: 400, nothing created', async () => {
    const env = await org.env({ protection: 'none' });
    const raw = `{"action":"rollback.execute","resource":{"environmentId":${JSON.stringify(env.id)}},"payload":{"cost":{"totalMonthlyCost":NaN,"monthlyCostDiff":0}}}`;
    expectError(await org.m3.api.call('POST', '/api/requests', { raw }), 400);
    assert.equal(await countOn(env.id), 0);
  });

  test('a retry with the same Idempotency-Key answers the first response and creates nothing', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const key = uniq('cost-retry');
    const body = rollback(env.id, { diff: 'a\nb\n', cost: { totalMonthlyCost: 10, monthlyCostDiff: 5, currency: 'USD' } });
    const first = await org.m3.api.post('/api/requests', body, { 'idempotency-key': key });
    const again = await org.m3.api.post('/api/requests', body, { 'idempotency-key': key });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(await countOn(env.id), 1);
    const other = { ...body, payload: { ...body.payload, cost: { totalMonthlyCost: 11, monthlyCostDiff: 5, currency: 'USD' } } };
    expectError(await org.m3.api.post('/api/requests', other, { 'idempotency-key': key }), 422, 'idempotency_key_reused');
    assert.equal(await countOn(env.id), 1);
  });
});
