// The People screens' rules must match the server's (server/domain/directory.ts, tokens.ts): what
// the console does not offer is exactly what the server would refuse.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CreateUserBody, PatchUserBody } from '../../../shared/schemas/index.ts';
import type { User } from '../../../shared/schemas/index.ts';
import { PEOPLE_OFFLINE, editRefusal, fieldProblem, githubLoginField, parseRoles, peopleError, tokenRefusal } from './people.ts';

const user = (id: string, orgRole: User['orgRole']): User => ({ id, name: id, email: `${id}@example.com`, orgRole, roles: [], teamIds: [], active: true });
const owner = user('olivia', 'owner');
const admin = user('adam', 'admin');
const member = user('rhea', 'member');

describe('editRefusal', () => {
  test('members change nobody, admins everyone but owners, owners everyone', () => {
    assert.match(editRefusal(member, admin) ?? '', /^Only owners and admins can change people/);
    assert.match(editRefusal(member, member) ?? '', /^Only owners and admins/, 'not even themselves');
    assert.equal(editRefusal(admin, member), undefined);
    assert.equal(editRefusal(admin, admin), undefined);
    assert.equal(editRefusal(admin, owner), 'Only owners can change an owner: olivia is one.');
    assert.equal(editRefusal(owner, owner), undefined);
    assert.match(editRefusal(undefined, member) ?? '', /^Only owners and admins/);
  });
});

describe('tokenRefusal', () => {
  test('your own tokens always; another person’s for admins; an owner’s for owners', () => {
    assert.equal(tokenRefusal(member, member), undefined);
    assert.equal(tokenRefusal(member, admin), "Only owners and admins can manage another person's tokens.");
    assert.equal(tokenRefusal(admin, member), undefined);
    assert.equal(tokenRefusal(admin, owner), "Only owners can manage an owner's tokens.");
    assert.equal(tokenRefusal(owner, admin), undefined);
  });
});

describe('parseRoles', () => {
  test('comma-separated, trimmed, blanks and repeats dropped, order kept', () => {
    assert.deepEqual(parseRoles(' release-manager, tech-lead,,release-manager , '), ['release-manager', 'tech-lead']);
    assert.deepEqual(parseRoles(''), []);
  });
});

describe('fieldProblem', () => {
  test('names the form field the schema refused', () => {
    const bad = CreateUserBody.safeParse({ name: 'Zoe', email: 'zoe', orgRole: 'member' });
    assert.equal(bad.success, false);
    assert.match(fieldProblem(bad.success ? [] : bad.error.issues), /^Email: /);
    const reserved = CreateUserBody.safeParse({ name: 'Zoe', email: 'zoe@example.com', orgRole: 'member', roles: ['Admin'] });
    assert.equal(
      fieldProblem(reserved.success ? [] : reserved.error.issues),
      'Custom roles: roles may not be named owner, admin or member (those are org roles: use orgRole)',
    );
  });
});

describe('peopleError', () => {
  test('offline says what it means here; anything else as the server said it', () => {
    const offline = Object.assign(new Error('this needs the server, which is not reachable right now'), { code: 'offline' });
    assert.equal(peopleError(offline), PEOPLE_OFFLINE);
    assert.equal(peopleError(Object.assign(new Error('only owners can change an owner'), { code: 'forbidden' })), 'only owners can change an owner');
  });
});

test("a GitHub login box as a body field: trimmed; empty leaves a new user without one and takes a person's away", () => {
  assert.deepEqual(githubLoginField(' gita-hub ', undefined), { githubLogin: 'gita-hub' });
  assert.deepEqual(githubLoginField('', undefined), {});
  assert.deepEqual(githubLoginField('  ', 'gita-hub'), { githubLogin: null });
  assert.deepEqual(githubLoginField('other', 'gita-hub'), { githubLogin: 'other' });
  assert.equal(
    fieldProblem(PatchUserBody.safeParse({ githubLogin: '-x' }).error!.issues),
    'GitHub login: must be a GitHub login: letters, digits and single hyphens, not at either end',
  );
});
