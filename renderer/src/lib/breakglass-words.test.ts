import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationWords, lasted } from './breakglass-words.ts';

test('durations in words', () => {
  assert.equal(durationWords(45), '45 min');
  assert.equal(durationWords(60), '1 h');
  assert.equal(durationWords(75), '1 h 15 min');
});

test('a session lasts to its end, or to expiresAt, and at least a minute', () => {
  const base = {
    id: 'bg_1',
    userId: 'u',
    reason: 'r',
    scope: { actions: ['rollback.execute' as const] },
    startedAt: '2026-01-01T02:10:00.000Z',
    expiresAt: '2026-01-01T03:10:00.000Z',
  };
  assert.equal(lasted({ ...base, endedAt: '2026-01-01T02:48:00.000Z' }), '38 min');
  assert.equal(lasted(base), '1 h');
  assert.equal(lasted({ ...base, endedAt: '2026-01-01T02:10:10.000Z' }), '1 min');
});
