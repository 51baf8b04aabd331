import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncEntity } from '../../../shared/schemas/index.ts';
import { ChangeAnnouncer } from './announcer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a catch-up is announced once per interval with every entity it touched; a change that is not one, at once with what was put off', async () => {
  const told: SyncEntity[][] = [];
  const a = new ChangeAnnouncer((e) => told.push(e), 40);
  a.changed(['request'], true);
  a.changed(['user', 'request'], true);
  assert.deepEqual(told, []); // put off
  await sleep(80); // timers are late, never early
  assert.deepEqual(told, [['request', 'user']]);

  a.changed(['team'], true);
  a.changed(['request'], false); // the catch-up's last page: told at once, the put-off team with it
  assert.deepEqual(told, [
    ['request', 'user'],
    ['team', 'request'],
  ]);
  await sleep(80);
  assert.equal(told.length, 2, 'nothing left to tell when the interval would have ended');

  a.changed(['environment'], true);
  a.stop(); // closing: the put-off announcement is dropped, no timer left behind
  await sleep(80);
  assert.equal(told.length, 2);
});
