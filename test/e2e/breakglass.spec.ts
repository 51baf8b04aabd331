// Break-glass: start a session (as the demo's incident commander, who holds the breakglass role),
// see the banner across the app counting down, end it from the banner. And the release manager,
// who may not, is told so in words.
import { test as base, expect } from '@playwright/test';
import { test, screen } from './fixtures.ts';
import { startRemote, type RemoteSetup } from './remote-server.ts';

const INES = 'ines.duarte@example.com';

let remote: RemoteSetup;
base.describe('as the incident commander', () => {
  base.beforeEach(async () => {
    remote = await startRemote(INES);
  });
  base.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
  });

  base('start and end a break-glass session', async ({ page }) => {
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Break-glass' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Break-glass active' })).toHaveCount(0);

    // Deploy-like actions are preselected; scope it to payments / production, 45 minutes.
    await expect(page.getByRole('checkbox', { name: 'Deploy', exact: true })).toBeChecked();
    await expect(page.getByRole('checkbox', { name: 'Rollback', exact: true })).toBeChecked();
    const start = page.getByRole('button', { name: 'Start break-glass session' });
    await page.getByRole('textbox', { name: 'Reason' }).fill('too short');
    await start.click();
    await expect(page.getByText(/At least 10 characters/)).toBeVisible();
    await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4400: PSP outage, roll back payments now');
    await page.getByRole('checkbox', { name: 'payments / production', exact: true }).check();
    await page.getByRole('slider').fill('45');
    await start.click();

    const banner = page.getByRole('alert').filter({ hasText: 'Break-glass active' });
    await expect(banner).toBeVisible({ timeout: 20_000 });
    await expect(banner).toContainText(/\b(44|45):\d\d\b/);
    // The countdown is live.
    const first = await banner.getByLabel('time left').textContent();
    await expect(banner.getByLabel('time left')).not.toHaveText(first!, { timeout: 3000 });
    await expect(page.getByRole('region', { name: 'Your session is active' })).toContainText('payments / production');

    // Across the whole app, not only this screen.
    await page.getByRole('link', { name: 'Inbox' }).click();
    await expect(banner).toBeVisible();
    await page.getByRole('link', { name: 'Break-glass' }).click();
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
      await screen(page, 'breakglass', theme);
    }

    await banner.getByRole('button', { name: 'End session' }).click();
    await expect(banner).toHaveCount(0, { timeout: 20_000 });
    const past = page.getByRole('region', { name: 'Past sessions' });
    await expect(past).toContainText('INC-4400: PSP outage');
    await expect(past).toContainText('ended by Ines Duarte');
    await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeVisible();

    // What was done under it: its start and its end, from the audit log.
    await past.getByRole('button', { name: /INC-4400/ }).click();
    await expect(past).toContainText('Break-glass session started');
    await expect(past).toContainText('Break-glass session ended');
  });
});

test('a release manager is told who may break glass, and cannot start one', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Break-glass' }).click();
  await expect(
    page.getByText('Only Adam Kowalski (Admin), Ines Duarte (breakglass role) and Olivia Hart (Owner) can start a break-glass session.'),
  ).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Reason' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeDisabled();
  await expect(page.getByRole('alert').filter({ hasText: 'Break-glass active' })).toHaveCount(0);
});
