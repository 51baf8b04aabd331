// Policies and bindings through the composed core against the real server, as the owner: a save
// creates, a second save with the id replaces every field, field refusals come back at their
// paths, bindings come and go, a delete takes the policy's bindings with it, and each answer is in
// the cache (directory.get) as soon as the call returns. A member is refused by the server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { cleanupTempDirs, killAll, tempDir } from '../server/harness.ts';
import { OLIVIA, RHEA, demoBackend, until, type Backend, MemorySecrets } from './helpers.ts';

let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw Object.assign(new Error(`${channel}: ${r.error.code}: ${r.error.message}`), { code: r.error.code });
  return r.data;
}

async function coreAs(email: string): Promise<DesktopCore> {
  const core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-policies-'),
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: { show() {}, close() {} },
    server: { url: b.url(), token: b.token(email) },
  });
  await until(async () => (await call(core, 'status.get')).state === 'online', 30_000, 'online');
  await until(async () => (await call(core, 'directory.get')).policies.length > 0, 30_000, 'first sync');
  return core;
}

test('policies.save creates and replaces, refusals name their fields, bindings.* and policies.delete show in the cache at once', async () => {
  const core = await coreAs(OLIVIA);
  try {
    const dir = await call(core, 'directory.get');
    const security = dir.teams.find((t: { name: string }) => t.name === 'Security').id;
    const checkout = dir.projects.find((p: { name: string }) => p.name === 'checkout').id;
    const body = {
      name: 'Checkout Release Approval',
      description: 'two approvals including Security',
      actions: ['release.deploy'],
      approvers: { userIds: [], teamIds: [security], orgRoles: [] },
      quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [security], requiredOrgRoles: [] },
      conditions: { environments: ['production'], startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' },
      requesterCanApprove: false,
      adminBypass: false,
    };
    const { policy } = await call(core, 'policies.save', body);
    assert.equal(policy.name, body.name);
    assert.ok(
      (await call(core, 'directory.get')).policies.some((p: { id: string }) => p.id === policy.id),
      'in the cache at once',
    );

    // Every field is replaced: leaving conditions out clears them rather than keeping the old ones.
    const { conditions: _dropped, ...withoutConditions } = body;
    const edited = await call(core, 'policies.save', { ...withoutConditions, id: policy.id, name: 'Checkout Release Approval (edited)' });
    assert.equal(edited.policy.name, 'Checkout Release Approval (edited)');
    assert.deepEqual(edited.policy.conditions, {});
    const cached = (await call(core, 'directory.get')).policies.find((p: { id: string }) => p.id === policy.id);
    assert.equal(cached.name, 'Checkout Release Approval (edited)');

    const refused = await call(core, 'policies.save', {
      ...body,
      approvers: { userIds: [], teamIds: [], orgRoles: [] },
      quorum: { ...body.quorum, requiredTeamIds: [] },
    });
    assert.match(refused.refused.message, /must name at least one approver/);
    assert.deepEqual(refused.refused.issues, [{ path: 'approvers', message: 'no approvers' }]);
    const unknown = await call(core, 'policies.save', { ...body, approvers: { ...body.approvers, userIds: ['usr_nobody'] } });
    assert.deepEqual(unknown.refused.issues, [{ path: 'approvers.userIds', message: 'unknown user "usr_nobody"' }]);

    const { binding } = await call(core, 'bindings.create', { policyId: policy.id, scope: 'project', targetId: checkout });
    assert.ok((await call(core, 'directory.get')).bindings.some((x: { id: string }) => x.id === binding.id));
    await assert.rejects(call(core, 'bindings.create', { policyId: policy.id, scope: 'project', targetId: checkout }), /already bound there/);
    await call(core, 'bindings.delete', { id: binding.id });
    assert.equal(
      (await call(core, 'directory.get')).bindings.some((x: { id: string }) => x.id === binding.id),
      false,
    );

    const again = await call(core, 'bindings.create', { policyId: policy.id, scope: 'organization' });
    await call(core, 'policies.delete', { id: policy.id });
    const after = await call(core, 'directory.get');
    assert.equal(
      after.policies.some((p: { id: string }) => p.id === policy.id),
      false,
    );
    assert.equal(
      after.bindings.some((x: { id: string }) => x.id === again.binding.id),
      false,
      'its bindings went with it',
    );
    await assert.rejects(call(core, 'policies.delete', { id: policy.id }), /policy not found/);
  } finally {
    await core.close();
  }
});

test("content rules and escalation: saved, cleared by an edit that leaves them out, and a rule the server cannot compile refused at that rule's when", async () => {
  const core = await coreAs(OLIVIA);
  try {
    const dir = await call(core, 'directory.get');
    const sre = dir.teams.find((t: { name: string }) => t.name === 'SRE').id;
    const body = {
      name: 'Rules round trip',
      actions: ['release.deploy'],
      approvers: { userIds: [], teamIds: [sre], orgRoles: [] },
      quorum: { minApprovals: 1, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
      rules: [
        {
          name: 'fine',
          when: 'risk.deletedResources > 0',
          outcome: 'pending',
          quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
        },
      ],
      escalation: { afterMinutes: 30, approvers: { userIds: [], teamIds: [sre], orgRoles: [] } },
    };
    const { policy } = await call(core, 'policies.save', body);
    assert.deepEqual(policy.rules, body.rules);
    assert.deepEqual(policy.escalation, body.escalation);

    const { rules: _r, escalation: _e, ...plain } = body;
    const cleared = await call(core, 'policies.save', { ...plain, id: policy.id });
    assert.equal(cleared.policy.escalation, undefined, 'an edit without escalation removes it');
    assert.deepEqual(cleared.policy.rules ?? [], [], 'an edit without rules removes them');

    const refused = await call(core, 'policies.save', {
      ...body,
      id: policy.id,
      rules: [body.rules[0], { name: 'typo', when: 'risk.deleted > 0', outcome: 'deny' }],
    });
    assert.match(refused.refused.message, /rule "typo": No such key: deleted \(at position 5\)/);
    assert.deepEqual(refused.refused.issues, [{ path: 'rules.1.when', message: 'No such key: deleted (at position 5)' }]);
    const kept = (await call(core, 'directory.get')).policies.find((p: { id: string }) => p.id === policy.id);
    assert.deepEqual(kept.rules ?? [], [], 'the refused save changed nothing');
    await call(core, 'policies.delete', { id: policy.id });
  } finally {
    await core.close();
  }
});

test('a member is refused by the server and nothing changes', async () => {
  const core = await coreAs(RHEA);
  try {
    const before = (await call(core, 'directory.get')).policies.length;
    await assert.rejects(
      call(core, 'policies.save', { name: 'Mine', actions: ['release.deploy'], approvers: {}, quorum: { minApprovals: 0 } }),
      /forbidden: only owners and admins/,
    );
    assert.equal((await call(core, 'directory.get')).policies.length, before);
  } finally {
    await core.close();
  }
});
