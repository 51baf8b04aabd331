import { test } from 'node:test';
import assert from 'node:assert/strict';
import { helperConfigured, noSandboxWarning, readSandboxFacts, sandboxAdvice } from './sandbox.ts';

const HELPER = '/app/node_modules/electron/dist/chrome-sandbox';
const fsWith = (proc: Record<string, string>, helper?: { uid: number; mode: number }) => ({
  read: (p: string) => proc[p],
  stat: (p: string) => (p === HELPER ? helper : undefined),
});
const npmInstalled = { uid: 1000, mode: 0o100755 };
const fixed = { uid: 0, mode: 0o104755 };

test('current Ubuntu (AppArmor restricts user namespaces) with the helper as npm installed it: the advice says what to run', () => {
  const facts = readSandboxFacts('linux', HELPER, fsWith({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1\n' }, npmInstalled));
  const advice = sandboxAdvice(facts)!;
  assert.match(advice, /AppArmor/);
  assert.match(advice, /sudo chown root:root node_modules\/electron\/dist\/chrome-sandbox && sudo chmod 4755 node_modules\/electron\/dist\/chrome-sandbox/);
  assert.match(advice, /--no-sandbox/);
  assert.match(advice, /development only/);
});

test('no advice where the sandbox starts: helper fixed, namespaces allowed, not Linux', () => {
  assert.equal(sandboxAdvice(readSandboxFacts('linux', HELPER, fsWith({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '1' }, fixed))), undefined);
  assert.equal(
    sandboxAdvice(readSandboxFacts('linux', HELPER, fsWith({ '/proc/sys/kernel/apparmor_restrict_unprivileged_userns': '0' }, npmInstalled))),
    undefined,
  );
  assert.equal(sandboxAdvice(readSandboxFacts('linux', HELPER, fsWith({}, npmInstalled))), undefined);
  assert.equal(sandboxAdvice(readSandboxFacts('darwin', HELPER, fsWith({}, npmInstalled))), undefined);
  // Other kernels' switches.
  assert.match(sandboxAdvice(readSandboxFacts('linux', HELPER, fsWith({ '/proc/sys/kernel/unprivileged_userns_clone': '0' }, npmInstalled)))!, /userns_clone/);
  assert.match(sandboxAdvice(readSandboxFacts('linux', HELPER, fsWith({ '/proc/sys/user/max_user_namespaces': '0' }, npmInstalled)))!, /max_user_namespaces/);
});

test('the helper must be root-owned, setuid, 4755', () => {
  assert.equal(helperConfigured(fixed), true);
  assert.equal(helperConfigured(npmInstalled), false);
  assert.equal(helperConfigured({ uid: 0, mode: 0o100755 }), false);
  assert.equal(helperConfigured({ uid: 0, mode: 0o104777 }), false);
});

test('main warns when run with --no-sandbox', () => {
  assert.equal(noSandboxWarning({ noSandboxSwitch: false, isPackaged: false }), undefined);
  assert.match(noSandboxWarning({ noSandboxSwitch: true, isPackaged: false })!, /development only/);
  assert.match(noSandboxWarning({ noSandboxSwitch: true, isPackaged: true })!, /no OS sandbox/);
});
