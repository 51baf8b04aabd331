// Offline: the backend stops, the release manager approves anyway, the status says `queued`; the
// backend comes back on the same port and the decision is applied. Web mode runs against a
// separately started `gatehouse serve` (remote-server.ts) so the test can stop it.
import { test, expect } from '@playwright/test';
import { startRemote, type RemoteSetup } from './remote-server.ts';

let remote: RemoteSetup;
test.beforeEach(async () => {
  remote = await startRemote('rhea.manning@example.com');
});
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

test('approve offline, see it queued, and applied once the backend is back', async ({ page }) => {
  await page.goto(remote.openUrl);
  const status = page.getByRole('status');
  await expect(status).toContainText('Online', { timeout: 20_000 });

  const list = page.getByRole('list', { name: 'Approvals inbox' });
  await page.getByRole('textbox', { name: 'Search' }).fill('search@a81c3de');
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await list.getByRole('link').first().click();
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('requested deploy on search / production');

  await remote.killServer();
  await expect(status).toContainText('Offline', { timeout: 30_000 });

  await page.getByRole('textbox', { name: 'Comment' }).fill('Approved from the train.');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(status).toContainText('queued', { timeout: 10_000 });
  await expect(timeline).not.toContainText('Rhea Manning approved');

  // The audit log lives on the server: offline, it says so.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByText('Offline — the audit log lives on the server.')).toBeVisible();
  await page.goBack();
  await expect(timeline).toBeVisible();

  await remote.restartServer();
  await expect(status).toContainText('Online', { timeout: 45_000 });
  await expect(status).not.toContainText('queued', { timeout: 20_000 });
  await expect(timeline).toContainText('Rhea Manning approved', { timeout: 20_000 });
  await expect(timeline).toContainText('Approved from the train.');
});
