// The demo's Off-Hours Change Gate (18:00–09:00 and weekends, Europe/Istanbul) on one request,
// filed at two stated instants: the console lists the gate in the evening and not in the morning.
import { test, expect, inboxList, ISTANBUL_TUESDAY_11, ISTANBUL_TUESDAY_21 } from './fixtures.ts';
import type { Page } from '@playwright/test';

async function openPaymentsDeploy(page: Page) {
  await page.getByRole('textbox', { name: 'Search' }).fill('payments@9b01e77');
  await expect(inboxList(page).getByRole('listitem')).toHaveCount(1);
  await inboxList(page).getByRole('link').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Deploy on payments / production');
  return page.getByRole('region', { name: /^Policies/ });
}

test.describe('Tuesday 11:00 in Istanbul', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('inside business hours the off-hours gate does not apply', async ({ page, app }) => {
    void app;
    const policies = await openPaymentsDeploy(page);
    await expect(policies).toContainText('Production Deploy Gate');
    await expect(policies).not.toContainText('Off-Hours Change Gate');
  });
});

test.describe('Tuesday 21:00 in Istanbul', () => {
  test.use({ clock: ISTANBUL_TUESDAY_21 });

  test('in the evening the off-hours gate holds the same request', async ({ page, app }) => {
    void app;
    const policies = await openPaymentsDeploy(page);
    await expect(policies).toContainText('Production Deploy Gate');
    const gate = policies.getByRole('listitem').filter({ hasText: 'Off-Hours Change Gate' });
    await expect(gate).toContainText('0 of 1');
  });
});
