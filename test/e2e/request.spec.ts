// The request detail: read the diff, approve and see the server agree, be refused as an
// ineligible approver.
import { test, expect, inboxList, ISTANBUL_TUESDAY_11 } from './fixtures.ts';
import type { Page } from '@playwright/test';

async function openBySearch(page: Page, text: string) {
  const list = inboxList(page);
  await page.getByRole('textbox', { name: 'Search' }).fill(text);
  await expect(list.getByRole('listitem')).toHaveCount(1);
  await list.getByRole('link').first().click();
  await expect(page).toHaveURL(/#\/request\/req_/);
}

test('open a request and read its diff', async ({ page, app }) => {
  void app;
  await openBySearch(page, 'payments@9b01e77');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Deploy on payments / production');
  await expect(page.getByText('Switch primary PSP to Adyen EU')).toBeVisible();
  await expect(page.getByRole('heading', { name: /^Policies/ })).toBeVisible();
  const diff = page.getByRole('region', { name: 'Diff' });
  await expect(diff).toContainText('"primary": "adyen-eu"');
  await expect(diff).toContainText('config/production/payments.json');

  // A reload keeps the route and the connection (web mode keeps its secret for the tab).
  await page.reload();
  await expect(page.getByRole('region', { name: 'Diff' })).toContainText('"primary": "adyen-eu"');
  await expect(page.getByRole('status')).toContainText('Online');
});

test('approve and see the server agree', async ({ page, app }) => {
  void app;
  await openBySearch(page, 'search@a81c3de');
  const timeline = page.getByRole('region', { name: 'Timeline' });
  await expect(timeline).toContainText('requested deploy on search / production');
  const policies = page.getByRole('region', { name: /^Policies/ });
  await expect(policies).toContainText('Restricted: production');
  await expect(policies.getByRole('listitem').first()).toContainText('0 of 1');

  await page.getByRole('textbox', { name: 'Comment' }).fill('Checked the rollout plan.');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();

  // The decision went through the outbox to the server, and came back with the next sync.
  await expect(timeline).toContainText('Rhea Manning approved', { timeout: 20_000 });
  await expect(timeline).toContainText('Checked the rollout plan.');
  await expect(policies.getByRole('listitem').first()).toContainText('1 of 1');
  await expect(page.getByText(/You approved this/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Approve', exact: true })).toBeDisabled();
  await expect(page.getByRole('status')).toContainText('Online');
  await expect(page.getByRole('status')).not.toContainText('queued');
});

// Off-hours the demo's gate lets a release manager approve anything deploy-like, so refusal is
// shown at a stated instant inside business hours.
test.describe('in Istanbul business hours', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('be refused as an ineligible approver', async ({ page, app }) => {
    void app;
    // checkout / staging: its reviewers don't include the release manager.
    await openBySearch(page, 'monitoring@c0ffee1');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('checkout / staging');
    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await expect(approve).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Reject', exact: true })).toBeDisabled();
    await expect(approve).toHaveAccessibleDescription(/You are not an eligible approver for this request/);
    await expect(page.getByText(/You are not an eligible approver for this request/)).toBeVisible();
    // The keyboard can't get around it either.
    await page.keyboard.press('a');
    await expect(page.getByRole('region', { name: 'Timeline' })).not.toContainText('queued');
    await expect(page.getByRole('status')).not.toContainText('queued');
  });
});
