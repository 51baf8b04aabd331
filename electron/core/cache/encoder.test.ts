import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJson } from './codec.ts';
import { RequestEncoder } from './encoder.ts';
import { makeOrg, makeRequest } from './fixtures.ts';

test('requests encoded on the worker decode to their JSON, in order', async () => {
  const org = makeOrg(3);
  const requests = Array.from({ length: 300 }, (_, i) => makeRequest(org, i));
  const encoder = new RequestEncoder();
  try {
    const blobs = await encoder.encode(requests);
    assert.ok(blobs, 'the worker answered');
    assert.equal(blobs.length, requests.length);
    for (let i = 0; i < blobs.length; i++) assert.equal(decodeJson(blobs[i]!), JSON.stringify(requests[i]));
    assert.equal(await encoder.encode([]), undefined);
  } finally {
    await encoder.close();
  }
  assert.equal(await encoder.encode(requests), undefined, 'closed: the caller encodes');
});

test('a worker that cannot start, or dies, leaves encoding to the caller', async () => {
  const missing = new RequestEncoder(new URL('./no-such-worker.js', import.meta.url));
  assert.equal(await missing.encode([{ id: 'req_1' }]), undefined);
  assert.equal(await missing.encode([{ id: 'req_2' }]), undefined, 'and it does not try again');
  await missing.close();
  const encoder = new RequestEncoder();
  // not cloneable: that slice is the caller's
  assert.equal(await encoder.encode([{ id: 'req_1', f: () => 1 }]), undefined);
  assert.ok(await encoder.encode([{ id: 'req_2' }]), 'the worker still serves the next slice');
  await encoder.close();
});
