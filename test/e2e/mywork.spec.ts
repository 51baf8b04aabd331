// My work and links: approve a request and find it under "Reviewed by me" with "You approved"
// on its row (and no longer under "Waiting on me"); my own requests under "Requested by me";
// search by a cluster name a row shows; progress summing every gate; Copy link, opened in a
// second tab of the same browser, shows that request without the launch secret in the address.
import type { Page } from '@playwright/test';
import { test, expect, inboxList, ISTANBUL_TUESDAY_11 } from './fixtures.ts';

const chip = (page: Page, name: RegExp) => page.getByRole('group', { name: 'My work' }).getByRole('button', { name });

async function search(page: Page, text: string) {
  const box = page.getByRole('textbox', { name: 'Search' });
  await box.fill(text);
  await box.press('Enter');
}

test('approve, then find it under Reviewed by me with "You approved"; Waiting on me no longer lists it', async ({ page, app }) => {
  void app;
  const rows = inboxList(page).getByRole('listitem');
  await expect(rows).toHaveCount(13);
  await chip(page, /^Waiting on me/).click();
  await expect(chip(page, /^Waiting on me/)).toHaveAttribute('aria-pressed', 'true');
  await search(page, 'search@a81c3de');
  await expect(rows).toHaveCount(1);
  await rows.first().getByRole('link').click();
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await expect(page.getByText(/You approved this/)).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('status')).not.toContainText('queued');

  await page.getByRole('link', { name: 'Inbox' }).click();
  // Waiting on me (with the search kept) no longer shows it.
  await expect(rows).toHaveCount(0);
  await chip(page, /^Reviewed by me/).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('You approved');
  await expect(rows.first()).toContainText('search / production');
  await expect(chip(page, /^Reviewed by me/)).toContainText('1');
});

test('Requested by me lists the requests I filed', async ({ page, app }) => {
  void app;
  const rows = inboxList(page).getByRole('listitem');
  await expect(rows).toHaveCount(13);
  await chip(page, /^Requested by me/).click();
  await expect(rows).toHaveCount(0);
  await expect(page.getByText(/No requests|Nothing|no requests/i).first()).toBeVisible();

  // Freeze, then ask to unfreeze: the unfreeze waits for approval, a request of mine.
  await page.getByRole('link', { name: 'Environments' }).click();
  const env = page.getByRole('article', { name: 'checkout / production' });
  await env.getByRole('button', { name: 'Freeze', exact: true }).click();
  await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4312: checkout errors after the deploy');
  await page.getByText('30 min', { exact: true }).click();
  await page.getByRole('button', { name: 'Freeze environment' }).click();
  await expect(env).toContainText('Locked', { timeout: 20_000 });
  await env.getByRole('button', { name: 'Unfreeze', exact: true }).click();
  await page.getByRole('dialog', { name: 'Unfreeze checkout / production?' }).getByRole('button', { name: 'Unfreeze' }).click();
  await expect(env.getByRole('link', { name: 'Unfreeze awaiting approval' })).toBeVisible({ timeout: 20_000 });

  await page.getByRole('link', { name: 'Inbox' }).click();
  await expect(chip(page, /^Requested by me/)).toHaveAttribute('aria-pressed', 'true');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Unfreeze env');
  await expect(rows.first()).toContainText('Rhea Manning');
});

test('Copy link from a row copies the link that opens it', async ({ page, app, context }) => {
  void app;
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const rows = inboxList(page).getByRole('listitem');
  await search(page, 'search@a81c3de');
  await expect(rows).toHaveCount(1);
  const id = await rows.first().getAttribute('data-request-id');
  await rows.first().hover();
  await rows
    .first()
    .getByRole('button', { name: /^Copy link to Deploy/ })
    .click();
  await expect(page.getByText('Link copied')).toBeVisible();
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(`${new URL(app.openUrl).origin}/#/request/${id}`);
});

test('searching a cluster name shown on a row finds it', async ({ page, app }) => {
  void app;
  const rows = inboxList(page).getByRole('listitem');
  await expect(rows).toHaveCount(13);
  const restart = rows.filter({ hasText: 'Restart' });
  await expect(restart).toContainText('prod-eu-1');
  await search(page, 'prod-eu-1 restart');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Restart');
  await search(page, 'Apply manifest');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('NetworkPolicy');
});

// In business hours a payments production deploy has three gates (off hours adds a fourth).
test.describe('business hours in Istanbul', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('progress sums every gate of a three-gate request', async ({ page, app }) => {
    void app;
    const rows = inboxList(page).getByRole('listitem');
    await search(page, 'payments@9b01e77');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('0 of 3 gates · missing: Restricted: production');
    await expect(rows.first()).toContainText('Production Deploy Gate (2 more approvals, approval from team SRE)');
    await expect(rows.first()).toContainText('Production Release Approval (2 more approvals, approval from team Security)');
  });
});

test('Copy link, opened in another tab of the same browser, shows that request without the secret', async ({ page, app, context }) => {
  void app;
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const rows = inboxList(page).getByRole('listitem');
  await search(page, 'checkout@4f2a9c1');
  // The search applies after Enter: until it has, the first row mentioning "Deploy" may be
  // another request (a policy named "Production Deploy Gate" is on many rows).
  await expect(rows).toHaveCount(2);
  await rows.getByRole('link', { name: /^Deploy/ }).click();
  await expect(page).toHaveURL(/#\/request\/req_/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('checkout / production');
  const id = decodeURIComponent(page.url().split('#/request/')[1]!);
  // The first tab's address no longer carries the secret.
  expect(page.url()).not.toContain(new URL(app.openUrl).hash.slice(1));

  await page.getByRole('button', { name: 'Copy link', exact: true }).click();
  await expect(page.getByText('Link copied')).toBeVisible();
  const link = (await page.getByRole('button', { name: 'Copy link', exact: true }).getAttribute('data-link')) ?? '';
  expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);
  expect(link).toBe(`${new URL(app.openUrl).origin}/#/request/${encodeURIComponent(id)}`);
  expect(link).not.toContain(new URL(app.openUrl).hash.slice(1));

  const second = await context.newPage();
  await second.goto(link);
  await expect(second.getByRole('heading', { level: 1 })).toContainText('checkout / production');
  await expect(second.getByText(id).first()).toBeVisible();
  await expect(second.getByText(/Offline — open Gatehouse/)).toHaveCount(0);

  // A browser that never had the secret (another context: no cookie) still gets nothing.
  const stranger = await (await context.browser()!.newContext()).newPage();
  await stranger.goto(link);
  await expect(stranger.getByText(/open Gatehouse with the address web mode printed/).first()).toBeVisible();
});
