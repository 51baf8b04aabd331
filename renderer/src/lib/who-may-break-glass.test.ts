import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { User } from '../../../shared/schemas/index.ts';
import { whoMayReview, whoMayStart } from './who-may-break-glass.ts';

const user = (name: string, orgRole: User['orgRole'], roles: string[] = [], active?: boolean): User => ({
  id: `u_${name.replace(/\W/g, '')}`,
  name,
  email: 'x@example.com',
  orgRole,
  roles,
  teamIds: [],
  ...(active === undefined ? {} : { active }),
});

test('names everyone the server would let start a session, by name, with why', () => {
  const users = [
    user('Rhea Manning', 'member', ['release-manager']),
    user('Ines Duarte', 'member', ['breakglass']),
    user('Olivia Hart', 'owner'),
    user('Adam Kowalski', 'admin'),
    user('Sam Ortiz', 'member'),
  ];
  assert.equal(whoMayStart(users), 'Only Adam Kowalski (Admin), Ines Duarte (breakglass role) and Olivia Hart (Owner) can start a break-glass session.');
});

test('deactivated users are not named; one or none read as sentences', () => {
  assert.equal(
    whoMayStart([user('Ines Duarte', 'member', ['breakglass']), user('Old Admin', 'admin', [], false)]),
    'Only Ines Duarte (breakglass role) can start a break-glass session.',
  );
  assert.match(whoMayStart([user('Sam Ortiz', 'member')]), /^Nobody in this organisation can start a break-glass session/);
});

test('names everyone who may review sessions: owners, admins and auditors, active ones only', () => {
  const users = [
    user('Ines Duarte', 'member', ['breakglass']),
    user('Aisha Rahman', 'member', ['auditor']),
    user('Olivia Hart', 'owner'),
    user('Old Auditor', 'member', ['auditor'], false),
  ];
  assert.equal(whoMayReview(users), 'Only Aisha Rahman (auditor role) and Olivia Hart (Owner) can review break-glass sessions.');
  assert.equal(
    whoMayReview([user('Sam Ortiz', 'member')]),
    'Nobody in this organisation can review break-glass sessions: it needs the auditor role, Admin or Owner.',
  );
});
