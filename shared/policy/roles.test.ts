import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { User } from '../schemas/index.ts';
import { BREAKGLASS_OWN_REVIEW_REFUSAL, BREAKGLASS_REVIEW_AUTHORITY_REFUSAL, breakGlassReviewRefusal, mayBreakGlass, mayReviewBreakGlass } from './roles.ts';

const user = (orgRole: User['orgRole'], roles: string[] = []): User => ({ id: 'u_1', name: 'U', email: 'u@example.com', orgRole, roles, teamIds: [] });

test('break-glass authority: owners, admins and holders of the breakglass role, no one else', () => {
  assert.equal(mayBreakGlass(user('owner')), true);
  assert.equal(mayBreakGlass(user('admin')), true);
  assert.equal(mayBreakGlass(user('member', ['breakglass'])), true);
  assert.equal(mayBreakGlass(user('member', ['release-manager'])), false);
  assert.equal(mayBreakGlass(user('member')), false);
});

test('break-glass review: owners, admins and auditors, never on their own session', () => {
  const session = { userId: 'u_2' };
  assert.equal(mayReviewBreakGlass(user('owner'), session), true);
  assert.equal(mayReviewBreakGlass(user('admin'), session), true);
  assert.equal(mayReviewBreakGlass(user('member', ['auditor']), session), true);
  assert.equal(breakGlassReviewRefusal(user('member', ['breakglass']), session), BREAKGLASS_REVIEW_AUTHORITY_REFUSAL);
  assert.equal(breakGlassReviewRefusal(user('member', ['release-manager'])), BREAKGLASS_REVIEW_AUTHORITY_REFUSAL);
  assert.equal(breakGlassReviewRefusal(user('admin'), { userId: 'u_1' }), BREAKGLASS_OWN_REVIEW_REFUSAL);
  assert.equal(breakGlassReviewRefusal(user('member', ['auditor']), { userId: 'u_1' }), BREAKGLASS_OWN_REVIEW_REFUSAL);
  assert.equal(mayReviewBreakGlass(user('member', ['auditor'])), true);
});
