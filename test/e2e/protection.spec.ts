// Environment protection from the console: an admin's change applies at once (a member's deploy
// then goes straight through); a release manager's identical change is held for an owner's or
// admin's approval, and the console shows the request instead of pretending it applied.
// Every backend here runs at a Tuesday 11:00 in Istanbul: the demo's Off-Hours Change Gate gates
// every deploy in the evening and at weekends, which would hold the member's deploy whatever the
// protection says.
import { test as base } from '@playwright/test';
import { CLOCK_ENV } from '../../shared/clock.ts';
import { clockAt } from '../clock.ts';
import { expect, ISTANBUL_TUESDAY_11, screen, test } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const DEV = 'dev.patel@example.com';

async function checkoutStaging(remote: RemoteSetup): Promise<{ projectId: string; environmentId: string }> {
  const { body: p } = await remoteApi(remote, '/api/projects', ADAM);
  const projectId = (p.projects as { id: string; name: string }[]).find((x) => x.name === 'checkout')!.id;
  const { body: e } = await remoteApi(remote, '/api/environments', ADAM);
  const environmentId = (e.environments as { id: string; name: string; projectId: string }[]).find(
    (x) => x.projectId === projectId && x.name === 'staging',
  )!.id;
  return { projectId, environmentId };
}

const deployAsMember = (remote: RemoteSetup, resource: { projectId: string; environmentId: string }, revision: string) =>
  remoteApi(remote, '/api/requests', DEV, {
    method: 'POST',
    body: { action: 'release.deploy', resource, justification: 'routine staging release', payload: { revision } },
  });

base.describe('as the admin', () => {
  let remote: RemoteSetup;
  let saved: string | undefined;
  base.beforeEach(async () => {
    saved = process.env[CLOCK_ENV];
    // The demo, its server and web mode all read this pin (remote-server.ts passes the environment on).
    process.env[CLOCK_ENV] = clockAt(ISTANBUL_TUESDAY_11).flag;
    remote = await startRemote(ADAM);
  });
  base.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
    if (saved === undefined) delete process.env[CLOCK_ENV];
    else process.env[CLOCK_ENV] = saved;
  });

  base('set checkout / staging from Restricted to None, then a member deploy goes straight through', async ({ page }) => {
    const staging = await checkoutStaging(remote);
    // The control: while Restricted, the member's deploy waits for a reviewer.
    const before = await deployAsMember(remote, staging, 'checkout@before');
    expect(before.status).toBe(201);
    expect(before.body.request.status).toBe('pending');

    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Environments' }).click();
    const env = page.getByRole('article', { name: 'checkout / staging' });
    await expect(env).toContainText('Restricted');
    await env.getByRole('button', { name: 'Edit protection' }).click();

    const form = page.getByRole('form', { name: 'Protection of checkout / staging' });
    await expect(form.getByRole('button', { name: 'Save protection' })).toBeDisabled();
    await form.getByText('None', { exact: true }).click();
    await expect(form).toContainText('Applies at once when saved.');
    await form.getByRole('button', { name: 'Save protection' }).click();

    await expect(page.locator('.flash')).toContainText('Protection of checkout / staging saved: None', { timeout: 20_000 });
    await expect(page.locator('.flash')).toContainText('applied at once');
    await expect(form).toHaveCount(0);
    await expect(env.locator('.badge').first()).toHaveText('None');
    const { body } = await remoteApi(remote, `/api/environments/${staging.environmentId}`, ADAM);
    expect(body.environment.protection).toBe('none');

    const after = await deployAsMember(remote, staging, 'checkout@after');
    expect(after.status).toBe(201);
    expect(after.body.request.status).toBe('approved');
    expect(after.body.request.gates).toEqual([]);
  });
});

base.describe('who may not, or cannot now', () => {
  let remote: RemoteSetup | undefined;
  base.afterEach(async ({}, testInfo) => {
    if (remote && testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote?.close();
    remote = undefined;
  });

  base('a member without release-manager sees protection read-only, and why', async ({ page }) => {
    remote = await startRemote(DEV);
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Environments' }).click();
    await expect(
      page.getByText('Protection and reviewers are read-only for you: only owners, admins and release managers can change an environment.'),
    ).toBeVisible();
    await expect(page.getByRole('article', { name: 'checkout / staging' })).toContainText('SRE team, Developers team');
    await expect(page.getByRole('button', { name: 'Edit protection' })).toHaveCount(0);
  });

  base('offline, saving is disabled and says why', async ({ page }) => {
    remote = await startRemote(ADAM);
    await page.goto(remote.openUrl);
    const status = page.getByRole('status');
    await expect(status).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('article', { name: 'checkout / staging' }).getByRole('button', { name: 'Edit protection' }).click();
    const form = page.getByRole('form', { name: 'Protection of checkout / staging' });
    await form.getByText('None', { exact: true }).click();
    await expect(form.getByRole('button', { name: 'Save protection' })).toBeEnabled();

    await remote.killServer();
    await expect(status).toContainText('Offline', { timeout: 30_000 });
    await expect(form).toContainText('Changing protection needs the server; you are offline.');
    await expect(form.getByRole('button', { name: 'Save protection' })).toBeDisabled();
  });
});

test.describe('as the release manager', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('the same change goes to approval: the console shows the pending request, the environment is unchanged', async ({ app: _app, page }) => {
    await page.getByRole('link', { name: 'Environments' }).click();
    const env = page.getByRole('article', { name: 'checkout / staging' });
    await expect(env).toContainText('Restricted');
    await env.getByRole('button', { name: 'Edit protection' }).click();
    const form = page.getByRole('form', { name: 'Protection of checkout / staging' });

    // A Restricted environment needs a reviewer: removing them all is refused at the field.
    await form.getByRole('button', { name: 'Remove SRE team' }).click();
    await form.getByRole('button', { name: 'Remove Developers team' }).click();
    await expect(form.getByRole('list', { name: 'Reviewers of checkout / staging' })).toContainText('No reviewers');
    await form.getByRole('button', { name: 'Save protection' }).click();
    await expect(form.getByRole('alert')).toHaveText('A Restricted environment needs at least one reviewer (a user or a team).');
    await expect(form.getByRole('combobox', { name: 'Add a reviewer' })).toHaveAttribute('aria-invalid', 'true');
    await form.getByRole('combobox', { name: 'Add a reviewer' }).selectOption({ label: 'SRE team' });
    await form.getByRole('button', { name: 'Add reviewer' }).click();
    await form.getByRole('combobox', { name: 'Add a reviewer' }).selectOption({ label: 'Developers team' });
    await form.getByRole('button', { name: 'Add reviewer' }).click();
    await expect(form.getByRole('button', { name: 'Save protection' })).toBeDisabled();

    await form.getByText('None', { exact: true }).click();
    await expect(form).toContainText('Needs approval first (Owner or admin approval)');
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await form.scrollIntoViewIfNeeded();
      await screen(page, 'environment-protection', theme);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await form.getByRole('button', { name: 'Save protection' }).click();

    await expect(page.locator('.flash')).toContainText('Protection change of checkout / staging waiting for approval: Owner or admin approval', {
      timeout: 20_000,
    });
    await expect(env).toContainText('Waiting for approval: protection restricted → none. Needs Owner or admin approval');
    await expect(env.locator('.badge').first()).toHaveText('Restricted');
    await expect(env).toContainText('SRE team, Developers team');

    await env.getByRole('link', { name: 'Open request' }).click();
    await expect(page).toHaveURL(/#\/request\/req_/);
    await expect(page.getByText('Change staging: protection restricted → none').first()).toBeVisible();
    await page.getByRole('link', { name: 'Environments' }).click();
    await expect(page.getByRole('article', { name: 'checkout / staging' })).toContainText('Waiting for approval: protection restricted → none');
    await screenHeld(page);
  });
});

/** The held change on its row, light and dark. */
async function screenHeld(page: import('@playwright/test').Page): Promise<void> {
  await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await page.getByRole('article', { name: 'checkout / staging' }).scrollIntoViewIfNeeded();
    await screen(page, 'environment-protection-held', theme);
  }
}
