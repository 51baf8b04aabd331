import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { Cache } from './index.ts';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'gatehouse-viewed-test-'));
  file = join(dir, 'cache.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('viewed marks survive closing and reopening the cache', async () => {
  const a = (await Cache.open({ file, saveDelayMs: 10 })).cache;
  a.setViewed('req_1', 'sha256:aa', 'deploy/app.yaml', true);
  a.setViewed('req_1', 'sha256:aa', 'deploy/db.yaml', true);
  a.setViewed('req_2', 'sha256:bb', 'other.tf', true);
  await a.close();
  const b = (await Cache.open({ file, saveDelayMs: 10 })).cache;
  try {
    assert.deepEqual(b.viewedFiles('req_1', 'sha256:aa'), ['deploy/app.yaml', 'deploy/db.yaml']);
    assert.deepEqual(b.viewedFiles('req_2', 'sha256:bb'), ['other.tf']);
  } finally {
    await b.close();
  }
});

test('unmarking removes only that file', async () => {
  const c = (await Cache.open({ file, saveDelayMs: 10 })).cache;
  try {
    c.setViewed('req_1', 'sha256:aa', 'a', true);
    c.setViewed('req_1', 'sha256:aa', 'b', true);
    c.setViewed('req_1', 'sha256:aa', 'a', false);
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:aa'), ['b']);
    c.setViewed('req_1', 'sha256:aa', 'a', false); // unmarking an unmarked file changes nothing
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:aa'), ['b']);
  } finally {
    await c.close();
  }
});

test('marks made at another digest are ignored, and dropped by a mark at the new digest', async () => {
  const c = (await Cache.open({ file, saveDelayMs: 10 })).cache;
  try {
    c.setViewed('req_1', 'sha256:old', 'a', true);
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:new'), []);
    c.setViewed('req_1', 'sha256:new', 'b', true);
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:new'), ['b']);
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:old'), []);
  } finally {
    await c.close();
  }
});

test('reset (sign-out) forgets the marks', async () => {
  const c = (await Cache.open({ file, saveDelayMs: 10 })).cache;
  try {
    c.setViewed('req_1', 'sha256:aa', 'a', true);
    c.reset();
    assert.deepEqual(c.viewedFiles('req_1', 'sha256:aa'), []);
  } finally {
    await c.close();
  }
});
