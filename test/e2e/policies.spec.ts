// The Policies screen. As the admin (a separate backend signed in as Adam Kowalski): replace the
// demo's "Production Release Approval" with seed 001's from the console — the server allows two
// policies of one name, so the demo's is deleted first rather than left beside ours to confuse
// the reader — bind it to project checkout, read it in plain words with its 7-day strip, see a
// server refusal at its field, edit it, remove its binding in place, and be asked before unsaved
// changes are dropped. As the release manager (the `app` fixture): everything read-only.
import { test as base } from '@playwright/test';
import { test, expect, screen } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const NAME = 'Production Release Approval';
const DESCRIPTION = 'Production releases need two approvals including Security.';

base.describe('as an admin', () => {
  let remote: RemoteSetup;
  base.beforeEach(async () => {
    remote = await startRemote(ADAM);
  });
  base.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
  });

  base('create seed 001’s policy, bind it, read it, edit it, unbind it, delete one', async ({ page }) => {
    base.setTimeout(120_000);
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Policies' }).click();
    const list = page.getByRole('navigation', { name: 'Policy list' });
    await expect(list.getByRole('button')).not.toHaveCount(0);

    // Delete the demo's policy of that name, from the console.
    const demoCount = await list.getByRole('button').count();
    await list.getByRole('button', { name: new RegExp(`^${NAME}`) }).click();
    await expect(page.getByRole('heading', { name: NAME, level: 2 })).toBeVisible();
    await page.getByRole('button', { name: 'Delete policy' }).click();
    const confirm = page.getByRole('dialog', { name: `Delete policy “${NAME}”?` });
    await expect(confirm).toContainText('its binding is removed with it');
    await confirm.getByRole('button', { name: 'Delete policy' }).click();
    await expect(list.getByRole('button')).toHaveCount(demoCount - 1);
    await expect(list.getByRole('button', { name: new RegExp(`^${NAME}`) })).toHaveCount(0);
    expect((await remoteApi(remote, '/api/policies', ADAM)).body.policies.some((p: { name: string }) => p.name === NAME)).toBe(false);

    // Create seed 001's policy.
    await page.getByRole('button', { name: 'New policy' }).click();
    // Bad input is refused at its fields before anything is sent.
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Give the policy a name.' })).toBeVisible();
    await expect(page.getByRole('alert').filter({ hasText: 'Pick at least one action.' })).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Policy name' })).toHaveAttribute('aria-invalid', 'true');
    await page.getByRole('combobox', { name: 'Time zone' }).fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Not a time zone this console knows' })).toBeVisible();
    await page.getByRole('combobox', { name: 'Time zone' }).fill('');
    await page.getByRole('textbox', { name: 'Policy name' }).fill(NAME);
    // A fixed field stops saying it is wrong.
    await expect(page.getByRole('alert').filter({ hasText: 'Give the policy a name.' })).toHaveCount(0);
    await expect(page.getByRole('alert').filter({ hasText: 'Not a time zone' })).toHaveCount(0);
    await page.getByRole('textbox', { name: 'Description' }).fill(DESCRIPTION);
    await page.getByRole('group', { name: 'Release' }).getByLabel('Deploy', { exact: true }).check();
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('Security', { exact: true }).check();
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('SRE', { exact: true }).check();
    await page.getByRole('spinbutton', { name: 'Approvals needed' }).fill('2');
    await page.getByRole('group', { name: 'Required teams' }).getByLabel('Security', { exact: true }).check();
    await page.getByRole('group', { name: 'Environments' }).getByLabel('production', { exact: true }).check();
    const summary = page.getByLabel('Summary in plain words');
    await expect(summary).toHaveText(
      "production deploys, at any time: 2 approvals including Security; approvers: team Security or team SRE; the requester can't approve",
    );
    // A binding chosen before the policy exists is made once it is saved.
    const bindingsBox = page.getByRole('region', { name: 'Bindings' });
    await bindingsBox.getByRole('combobox', { name: 'Bind to' }).selectOption('Project');
    await bindingsBox.getByRole('combobox', { name: 'Project' }).selectOption('checkout');
    await bindingsBox.getByRole('button', { name: 'Add binding' }).click();
    await expect(page.getByRole('button', { name: 'Remove binding to project checkout' })).toBeVisible();
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
    await page.locator('.page').evaluate((el) => el.scrollTo(0, 0));
    await screen(page, 'policy-editor', 'light');
    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    await screen(page, 'policy-editor', 'dark');
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    await page.getByRole('button', { name: 'Save policy' }).click();

    await expect(page.getByRole('heading', { name: NAME, level: 2 })).toBeVisible({ timeout: 20_000 });
    const detail = page.getByRole('article', { name: NAME });
    await expect(detail.getByLabel('Summary in plain words')).toHaveText(
      "production deploys, at any time: 2 approvals including Security; approvers: team Security or team SRE; the requester can't approve; bound to project checkout",
    );
    await expect(detail).toContainText(DESCRIPTION);
    await expect(detail.getByRole('region', { name: 'When it applies' })).toBeVisible();
    await expect(list.getByRole('button', { name: new RegExp(`^${NAME}`) })).toContainText('bound to project checkout');
    const saved = (await remoteApi(remote, '/api/policies', ADAM)).body.policies.find((p: { name: string }) => p.name === NAME);
    expect(saved).toMatchObject({
      description: DESCRIPTION,
      actions: ['release.deploy'],
      quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredOrgRoles: [] },
      conditions: { environments: ['production'] },
      requesterCanApprove: false,
      adminBypass: false,
    });
    expect(saved.quorum.requiredTeamIds).toHaveLength(1);
    const { body: b } = await remoteApi(remote, '/api/bindings', ADAM);
    expect(b.bindings.filter((x: { policyId: string }) => x.policyId === saved.id).map((x: { scope: string }) => x.scope)).toEqual(['project']);

    await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
    await page.locator('.page').evaluate((el) => el.scrollTo(0, 0));
    await screen(page, 'policies', 'light');
    await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
    await screen(page, 'policies', 'dark');
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });

    // Edit: the server's refusal is shown at its field and nothing is saved.
    await page.getByRole('button', { name: 'Edit policy' }).click();
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('Security', { exact: true }).uncheck();
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('SRE', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'The server refused this policy' })).toContainText('must name at least one approver');
    await expect(page.getByRole('alert').filter({ hasText: 'no approvers' })).toBeVisible();

    // Unsaved changes: leaving by the nav asks first; Cancel stays in the editor.
    await page.getByRole('link', { name: 'Inbox' }).click();
    const discard = page.getByRole('dialog', { name: 'Discard unsaved changes?' });
    await expect(discard).toBeVisible();
    await discard.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('textbox', { name: 'Policy name' })).toHaveValue(NAME);

    // Put the approvers back, add evenings in Istanbul, save.
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('Security', { exact: true }).check();
    await page.getByRole('group', { name: 'Approving teams' }).getByLabel('SRE', { exact: true }).check();
    await page.getByLabel('Only during an hour window').check();
    await page.getByRole('combobox', { name: 'From' }).selectOption('18:00');
    await page.getByRole('combobox', { name: 'Until' }).selectOption('09:00');
    await page.getByRole('combobox', { name: 'Time zone' }).fill('Europe/Istanbul');
    await expect(page.getByText('Wraps past midnight: from 18:00 until 09:00 the next morning.')).toBeVisible();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(detail.getByLabel('Summary in plain words')).toHaveText(
      "production deploys, 18:00–09:00 (overnight, past midnight), Istanbul time: 2 approvals including Security; approvers: team Security or team SRE; the requester can't approve; bound to project checkout",
      { timeout: 20_000 },
    );
    const edited = (await remoteApi(remote, `/api/policies/${saved.id}`, ADAM)).body.policy;
    expect(edited.conditions).toEqual({ environments: ['production'], startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' });

    // Remove the binding in place.
    await detail.getByRole('button', { name: 'Remove binding to project checkout' }).click();
    await expect(detail.getByLabel('Summary in plain words')).toContainText('not bound anywhere, so it applies nowhere', { timeout: 20_000 });
    const after = (await remoteApi(remote, '/api/bindings', ADAM)).body.bindings;
    expect(after.some((x: { policyId: string }) => x.policyId === saved.id)).toBe(false);

    // Offline: the policies stay readable from the cache; changing them is refused in words.
    await remote.killServer();
    await expect(page.getByRole('status')).toContainText(/Offline/i, { timeout: 30_000 });
    await expect(page.getByText('Changing policies needs the server; you are offline.').first()).toBeVisible();
    await expect(detail.getByLabel('Summary in plain words')).toContainText('production deploys, 18:00–09:00');
    for (const name of ['New policy', 'Edit policy', 'Delete policy']) await expect(page.getByRole('button', { name })).toBeDisabled();
    await expect(detail.getByRole('button', { name: 'Add binding' })).toHaveCount(0);
  });
});

test('a release manager sees every policy read-only, and why', async ({ page, app }) => {
  void app;
  // g then p goes there from anywhere.
  await page.keyboard.press('g');
  await page.keyboard.press('p');
  await expect(page.getByRole('link', { name: 'Policies' })).toHaveAttribute('aria-current', 'page');
  const list = page.getByRole('navigation', { name: 'Policy list' });
  await list.getByRole('button', { name: new RegExp(`^${NAME}`) }).click();
  const detail = page.getByRole('article', { name: NAME });
  await expect(detail.getByLabel('Summary in plain words')).toHaveText(
    "production deploys and promotions, at any time: 2 approvals including Security; approvers: team Security, team SRE or a release-manager; the requester can't approve; bound to project payments",
  );
  await expect(detail.getByRole('region', { name: 'When it applies' })).toBeVisible();
  await expect(
    page
      .getByText(/Only owners and admins can change policies; you are signed in as Rhea Manning \(member, release-manager\), so you see them read-only\./)
      .first(),
  ).toBeVisible();
  for (const name of ['New policy', 'Edit policy', 'Delete policy', 'Add binding']) await expect(page.getByRole('button', { name })).toHaveCount(0);
  await expect(detail.getByRole('button', { name: /^Remove binding/ })).toHaveCount(0);
});
