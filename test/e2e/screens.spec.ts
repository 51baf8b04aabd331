// Screenshots of the screens this suite covers, light and dark, at 1280×800, into
// test-results/screens/<name>-<theme>.png (the issue asks for them; designers look at them).
import { test, expect, inboxList, screen } from './fixtures.ts';

for (const theme of ['light', 'dark'] as const) {
  test(`screens in the ${theme} theme`, async ({ page, app }) => {
    void app;
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });

    const list = inboxList(page);
    await expect(list.getByRole('listitem').first()).toContainText(/\w/);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await screen(page, 'inbox', theme);

    // The production deploy of payments: a small JSON diff, two policy gates.
    await page.getByRole('textbox', { name: 'Search' }).fill('payments@9b01e77');
    await expect(list.getByRole('listitem')).toHaveCount(1);
    await list.getByRole('link').first().click();
    await expect(page.getByRole('region', { name: 'Diff' })).toContainText('adyen-eu');
    await screen(page, 'request', theme);

    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
    await screen(page, 'settings', theme);

    await page.getByRole('link', { name: 'Inbox' }).click();
    await page.keyboard.press('?');
    await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
    await screen(page, 'shortcuts', theme);
  });
}
