import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { User } from '../schemas/index.ts';
import { mayBreakGlass } from './roles.ts';

const user = (orgRole: User['orgRole'], roles: string[] = []): User => ({ id: 'u_1', name: 'U', email: 'u@example.com', orgRole, roles, teamIds: [] });

test('break-glass authority: owners, admins and holders of the breakglass role, no one else', () => {
  assert.equal(mayBreakGlass(user('owner')), true);
  assert.equal(mayBreakGlass(user('admin')), true);
  assert.equal(mayBreakGlass(user('member', ['breakglass'])), true);
  assert.equal(mayBreakGlass(user('member', ['release-manager'])), false);
  assert.equal(mayBreakGlass(user('member')), false);
});
