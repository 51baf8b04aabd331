// The New request form: file a rollback with a reason after seeing the gates it will meet, find it
// in the inbox under My work → Requested by me; a diff from a file and a cost estimate on the
// detail; offline, the filing is queued and arrives when the server is back. The preview depends
// on the demo's Off-Hours Change Gate (18:00–09:00 and weekends in Istanbul): those tests pin the clock.
import { test, expect, inboxList, screen, ISTANBUL_TUESDAY_11, ISTANBUL_TUESDAY_21 } from './fixtures.ts';
import type { Page } from '@playwright/test';
import { remoteApi, startRemote } from './remote-server.ts';

const RHEA = 'rhea.manning@example.com';

async function openForm(page: Page) {
  await page.getByRole('button', { name: 'New request' }).click();
  await expect(page).toHaveURL(/#\/new$/);
  await expect(page.getByRole('heading', { level: 1, name: 'New request' })).toBeVisible();
  return page.getByRole('region', { name: 'Gates it will meet' });
}

test.describe('Tuesday 21:00 in Istanbul (off-hours)', () => {
  test.use({ clock: ISTANBUL_TUESDAY_21 });

  test('file a rollback with a reason: the preview refuses it without one, then lists its gates; it shows in the inbox as requested by me', async ({
    page,
    app,
  }) => {
    void app;
    const gates = await openForm(page);
    await page.getByRole('combobox', { name: 'Action' }).selectOption('rollback.execute');
    await expect(gates).toContainText('Rollback needs an environment: pick one.');
    await expect(page.getByRole('button', { name: 'Submit request' })).toBeDisabled();

    await page.getByRole('combobox', { name: 'Environment' }).selectOption({ label: 'payments / production · restricted' });
    await expect(page.getByText('Project payments, cluster prod-eu-1')).toBeVisible();
    // Off-hours the gate wants a reason: refused before anything is sent
    await expect(gates).toContainText('The server will refuse this: Policy "Off-Hours Change Gate" requires a reason (justification)');
    await expect(page.getByRole('button', { name: 'Submit request' })).toBeDisabled();

    await page.getByRole('textbox', { name: 'Justification' }).fill('v2.15.0 breaks checkout for card payments (INC-4312)');
    await page.getByRole('textbox', { name: 'Revision (optional)' }).fill('payments@rb-e2e-21');
    await expect(gates).toContainText('Needs 3 gates to pass');
    const needs = gates.getByRole('listitem');
    // the engine's order follows the policies' ids, which differ per demo database
    await expect(needs).toHaveCount(3);
    for (const need of ['1 approval (Restricted: production)', '1 approval (Off-Hours Change Gate)', '2 approvals including SRE (Production Deploy Gate)']) {
      await expect(needs.filter({ hasText: need })).toHaveCount(1);
    }
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await screen(page, 'new-request', theme);
    }

    await page.getByRole('button', { name: 'Submit request' }).click();
    await expect(page).toHaveURL(/#\/request\/req_/);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Rollback on payments / production');
    await expect(page.getByText('v2.15.0 breaks checkout for card payments (INC-4312)')).toBeVisible();

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page
      .getByRole('group', { name: 'My work' })
      .getByRole('button', { name: /Requested by me/ })
      .click();
    await page.getByRole('textbox', { name: 'Search' }).fill('payments@rb-e2e-21');
    await expect(inboxList(page).getByRole('listitem')).toHaveCount(1);
    await expect(inboxList(page).getByRole('listitem').first()).toContainText('Rollback');
  });
});

test.describe('Tuesday 11:00 in Istanbul (business hours)', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('a diff from a file (binary and non-UTF-8 refused) and a cost estimate show on the detail; f opens the form', async ({ page, app }) => {
    void app;
    await expect(inboxList(page).getByRole('listitem').first()).toBeVisible();
    await page.keyboard.press('f');
    await expect(page).toHaveURL(/#\/new$/);
    const gates = page.getByRole('region', { name: 'Gates it will meet' });
    await page.getByRole('combobox', { name: 'Environment' }).selectOption({ label: 'payments / production · restricted' });
    // in business hours no reason is required and the off-hours gate is not met
    await expect(gates.getByRole('listitem')).toHaveCount(2);
    await expect(gates).toContainText('1 approval (Restricted: production)');
    await expect(gates).toContainText('2 approvals including SRE (Production Deploy Gate)');
    await expect(gates).not.toContainText('Off-Hours');

    const file = page.locator('input[type="file"]');
    const info = page.locator('[id$="-diff-info"]');
    await file.setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a]) });
    await expect(info).toHaveText('logo.png looks like a binary file (it contains NUL bytes): choose a text diff.');
    await expect(page.getByRole('button', { name: 'Submit request' })).toBeDisabled();
    await file.setInputFiles({ name: 'latin1.diff', mimeType: 'text/plain', buffer: Buffer.from([0x2d, 0xe9, 0x0a]) });
    await expect(info).toHaveText('latin1.diff is not UTF-8 text: save the diff as UTF-8 and choose it again.');
    const diff =
      'diff --git a/deploy.yaml b/deploy.yaml\n--- a/deploy.yaml\n+++ b/deploy.yaml\n@@ -1 +1 @@\n-image: payments:2.15.0\n+image: payments:2.14.3\n';
    await file.setInputFiles({ name: 'rollback.diff', mimeType: 'text/x-diff', buffer: Buffer.from(diff, 'utf8') });
    await expect(info).toHaveText(`rollback.diff · ${Buffer.byteLength(diff)} bytes · 6 lines`);
    await expect(page.getByRole('textbox', { name: /^Diff/ })).toHaveValue(diff);

    await page.getByRole('textbox', { name: 'Monthly total' }).fill('-5');
    await expect(page.getByRole('alert')).toHaveText('The monthly total cannot be negative.');
    await expect(page.getByRole('button', { name: 'Submit request' })).toBeDisabled();
    await page.getByRole('textbox', { name: 'Monthly total' }).fill('1840.50');
    await page.getByRole('textbox', { name: 'Monthly change' }).fill('-120');
    await page.getByRole('textbox', { name: 'Currency' }).fill('eur');
    await page.getByRole('textbox', { name: 'Justification' }).fill('Roll back to 2.14.3');
    await page.getByRole('button', { name: 'Submit request' }).click();

    await expect(page).toHaveURL(/#\/request\/req_/);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Rollback on payments / production');
    const facts = page.locator('dl.facts');
    await expect(facts).toContainText('Monthly cost');
    await expect(facts).toContainText('1,840.50 a month');
    await expect(facts).toContainText('-€120 a month');
    await expect(page.getByRole('region', { name: 'Diff' })).toContainText('image: payments:2.14.3');
  });
});

test('offline: a filed request is queued, listed in the inbox, and arrives when the server is back', async ({ page }) => {
  const remote = await startRemote(RHEA);
  try {
    await page.goto(remote.openUrl);
    const status = page.getByRole('status');
    await expect(status).toContainText('Online', { timeout: 20_000 });
    await remote.killServer();
    await expect(status).toContainText('Offline', { timeout: 30_000 });

    await page.getByRole('button', { name: 'New request' }).click();
    await expect(page.getByText('You are offline: the request is queued on this computer')).toBeVisible();
    await page.getByRole('combobox', { name: 'Environment' }).selectOption({ label: 'search / dev · none' });
    await page.getByRole('textbox', { name: 'Justification' }).fill('Queued from the train: roll search dev back');
    await page.getByRole('textbox', { name: 'Revision (optional)' }).fill('search@offline-rb');
    const gates = page.getByRole('region', { name: 'Gates it will meet' });
    await expect(gates).not.toContainText('Working it out');
    await page.getByRole('button', { name: 'Submit request' }).click();

    await expect(page).toHaveURL(/#\/inbox$/);
    const waiting = page.getByRole('list', { name: 'New requests not filed yet' });
    await expect(waiting.getByRole('listitem')).toHaveCount(1);
    await expect(waiting).toContainText('Queued');
    await expect(waiting).toContainText('Rollback on search / dev');
    await expect(status).toContainText('queued');
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await screen(page, 'new-request-queued', theme);
    }

    await remote.restartServer();
    await expect(status).toContainText('Online', { timeout: 45_000 });
    await expect(waiting).toHaveCount(0, { timeout: 20_000 });
    const { body } = await remoteApi(remote, '/api/requests?limit=500&action=rollback.execute', RHEA);
    const filed = (body.requests as { payload: { revision?: string }; justification: string }[]).filter((r) => r.payload.revision === 'search@offline-rb');
    expect(filed).toHaveLength(1);
    expect(filed[0]!.justification).toBe('Queued from the train: roll search dev back');

    await page.getByRole('group', { name: 'Status' }).getByRole('button', { name: /^All/ }).click();
    await page.getByRole('textbox', { name: 'Search' }).fill('search@offline-rb');
    await expect(inboxList(page).getByRole('listitem')).toHaveCount(1, { timeout: 20_000 });
  } finally {
    await remote.close();
  }
});

test.describe('at 1024×700', () => {
  test.use({ viewport: { width: 1024, height: 700 } });

  test('the New request button and the whole form fit the window', async ({ page, app }) => {
    void app;
    const button = page.getByRole('button', { name: 'New request' });
    await expect(button).toBeVisible();
    const b = (await button.boundingBox())!;
    expect(b.x + b.width).toBeLessThanOrEqual(1024);
    await button.click();
    await page.getByRole('combobox', { name: 'Action' }).selectOption('cluster.restart');
    await expect(page.getByRole('combobox', { name: 'Cluster' })).toBeVisible();
    for (const name of ['Submit request', 'Cancel', 'Choose a diff file']) {
      const box = (await page.getByRole('button', { name }).boundingBox())!;
      expect(box.x + box.width, `${name}: right edge on screen`).toBeLessThanOrEqual(1024);
    }
    // (Through the element: this project's Node-side types have no DOM globals.)
    const overflow = await page.locator('section.new-request').evaluate((el) => ({
      scroll: el.scrollWidth,
      client: el.clientWidth,
      page: el.ownerDocument.documentElement.scrollWidth,
    }));
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.client);
    expect(overflow.page).toBeLessThanOrEqual(1024);
  });
});
