import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadInput, PoliciesFile, parseYamlFile } from './policy-file.ts';

const HEAD = 'apiVersion: gatehouse/v1\nkind: Policies\npolicies:\n';
const POLICY = `  - name: A
    actions: [release.deploy]
    approvers: {teams: [SRE]}
    quorum: {minApprovals: 2}
`;

const refusal = (text: string) => {
  try {
    parseYamlFile(text, 'p.yaml', PoliciesFile);
  } catch (err) {
    assert.ok(err instanceof BadInput, String(err));
    return err.message;
  }
  assert.fail('accepted');
};

test('a valid file parses with the API defaults filled in', () => {
  const f = parseYamlFile(HEAD + POLICY, 'p.yaml', PoliciesFile);
  assert.deepEqual(f.policies[0]!.approvers, { users: [], teams: ['SRE'], orgRoles: [] });
  assert.deepEqual(f.policies[0]!.quorum, { minApprovals: 2, minDistinctTeams: 0, requiredUsers: [], requiredTeams: [], requiredOrgRoles: [] });
  assert.deepEqual(f.policies[0]!.bindings, []);
  assert.equal(f.policies[0]!.adminBypass, false);
});

test('an unknown key is refused with its line and path, never dropped', () => {
  assert.match(refusal(`${HEAD + POLICY}    bogus: 1\n`), /^p\.yaml:8: policies\[0\]: .*"bogus"/);
  assert.match(refusal(HEAD + POLICY.replace('minApprovals', 'minAprovals')), /^p\.yaml:7: policies\[0\]\.quorum: .*"minAprovals"/);
});

test('bad YAML, a wrong version, an id-like environment target and twice the same binding are refused', () => {
  assert.match(refusal(`${HEAD}  - [\n`), /^p\.yaml:\d+: not valid YAML/);
  assert.match(refusal((HEAD + POLICY).replace('gatehouse/v1', 'gatehouse/v9')), /^p\.yaml:1: apiVersion:/);
  assert.match(refusal(`${HEAD + POLICY}    bindings: [{scope: environment, target: production}]\n`), /an environment is written "project\/environment"/);
  assert.match(refusal(`${HEAD + POLICY}    bindings: [{scope: project, target: shop}, {scope: project, target: Shop}]\n`), /bound twice to project Shop/);
  assert.match(refusal(`${HEAD + POLICY}    bindings: [{scope: organization, target: shop}]\n`), /target is required .* not allowed for organization/);
  assert.match(refusal(HEAD + POLICY + POLICY.replace('name: A', 'name: a')), /^p\.yaml:8: policies\[1\]\.name: a second policy named "a"/);
  assert.match(
    refusal(`${HEAD + POLICY}    rules: [{name: r, when: "true", outcome: warn, quorum: {minApprovals: 2}}]\n`),
    /quorum is only allowed on a pending rule/,
  );
});
