import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeBreakGlass, awaitsReview, sessionEnded } from './index.ts';
import { session } from './testing.ts';

const at = (iso: string) => new Date(iso);

describe('activeBreakGlass', () => {
  const s = session('bg_1'); // 09:00–11:00, release.deploy, any environment

  it('is active from startedAt (inclusive) to expiresAt (exclusive)', () => {
    assert.equal(activeBreakGlass([s], 'release.deploy', undefined, at('2024-06-03T08:59:59.999Z')), undefined);
    assert.equal(activeBreakGlass([s], 'release.deploy', undefined, at('2024-06-03T09:00:00Z'))?.id, 'bg_1');
    assert.equal(activeBreakGlass([s], 'release.deploy', undefined, at('2024-06-03T10:59:59.999Z'))?.id, 'bg_1');
    assert.equal(activeBreakGlass([s], 'release.deploy', undefined, at('2024-06-03T11:00:00Z')), undefined);
  });

  it('an ended session does not count, whenever it ended', () => {
    const ended = session('bg_2', { endedAt: '2024-06-03T09:30:00Z', endedBy: 'rick' });
    assert.equal(activeBreakGlass([ended], 'release.deploy', undefined, at('2024-06-03T10:00:00Z')), undefined);
    assert.equal(activeBreakGlass([ended], 'release.deploy', undefined, at('2024-06-03T09:10:00Z')), undefined);
  });

  it('covers only the actions in its scope', () => {
    assert.equal(activeBreakGlass([s], 'cluster.restart', undefined, at('2024-06-03T10:00:00Z')), undefined);
  });

  it('a scope naming environments covers only those, and never a request without one', () => {
    const scoped = session('bg_3', { scope: { actions: ['release.deploy'], environmentIds: ['env_prod'] } });
    const now = at('2024-06-03T10:00:00Z');
    assert.equal(activeBreakGlass([scoped], 'release.deploy', 'env_prod', now)?.id, 'bg_3');
    assert.equal(activeBreakGlass([scoped], 'release.deploy', 'env_stg', now), undefined);
    assert.equal(activeBreakGlass([scoped], 'release.deploy', undefined, now), undefined);
    const none = session('bg_4', { scope: { actions: ['release.deploy'], environmentIds: [] } });
    assert.equal(activeBreakGlass([none], 'release.deploy', 'env_prod', now), undefined);
  });

  it('returns the first covering session; skips those that do not cover', () => {
    const now = at('2024-06-03T10:00:00Z');
    const expired = session('old', { startedAt: '2024-06-03T07:00:00Z', expiresAt: '2024-06-03T08:00:00Z' });
    assert.equal(activeBreakGlass([expired, s, session('later')], 'release.deploy', undefined, now)?.id, 'bg_1');
    assert.equal(activeBreakGlass([], 'release.deploy', undefined, now), undefined);
  });

  it('unparseable times make a session inactive', () => {
    const bad = session('bad', { expiresAt: 'soon' });
    assert.equal(activeBreakGlass([bad], 'release.deploy', undefined, at('2024-06-03T10:00:00Z')), undefined);
  });

  it('compares instants, not strings, across offsets', () => {
    const plus3 = session('ist', { startedAt: '2024-06-03T12:00:00+03:00', expiresAt: '2024-06-03T13:00:00+03:00' });
    assert.equal(activeBreakGlass([plus3], 'release.deploy', undefined, at('2024-06-03T09:30:00Z'))?.id, 'ist');
    assert.equal(activeBreakGlass([plus3], 'release.deploy', undefined, at('2024-06-03T10:00:00Z')), undefined);
  });
});

describe('sessionEnded / awaitsReview', () => {
  const s = session('bg_r'); // 09:00–11:00
  const ms = (iso: string) => Date.parse(iso);

  it('a running session has not ended and waits for nothing', () => {
    assert.equal(sessionEnded(s, ms('2024-06-03T10:59:59.999Z')), false);
    assert.equal(awaitsReview(s, ms('2024-06-03T10:00:00Z')), false);
  });

  it('ended by endedAt, or by reaching expiresAt before the sweeper records it', () => {
    assert.equal(sessionEnded(session('bg_x', { endedAt: '2024-06-03T09:30:00Z', endedBy: 'u' }), ms('2024-06-03T09:40:00Z')), true);
    assert.equal(sessionEnded(s, ms('2024-06-03T11:00:00Z')), true);
    assert.equal(awaitsReview(s, ms('2024-06-03T11:00:00Z')), true);
  });

  it('a reviewed session no longer waits', () => {
    const reviewed = session('bg_y', { review: { by: 'u_a', at: '2024-06-03T12:00:00Z', verdict: 'justified', notes: 'incident INC-1' } });
    assert.equal(awaitsReview(reviewed, ms('2024-06-03T12:00:00Z')), false);
  });
});
