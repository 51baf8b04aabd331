// Screenshots of the console's other screens (environments, break-glass, audit log, insights),
// light and dark, at 1280×800, into test-results/screens/<name>-<theme>.png. The break-glass
// screen with a live session (and the banner) is shot by breakglass.spec.ts.
import { test, expect, inboxList, screen } from './fixtures.ts';

for (const theme of ['light', 'dark'] as const) {
  test(`environments, break-glass, audit and insights in the ${theme} theme`, async ({ page, app }) => {
    void app;
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });

    // One decision, so Insights has a data point to draw.
    await page.getByRole('textbox', { name: 'Search' }).fill('search@a81c3de');
    await expect(inboxList(page).getByRole('listitem')).toHaveCount(1);
    await inboxList(page).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(page.getByRole('region', { name: 'Timeline' })).toContainText('Rhea Manning approved', { timeout: 20_000 });

    await page.getByRole('link', { name: 'Environments' }).click();
    // One frozen environment and an open freeze form, as a designer would want to see them.
    const checkout = page.getByRole('article', { name: 'checkout / production' });
    await checkout.getByRole('button', { name: 'Freeze', exact: true }).click();
    await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4312: checkout errors after the 14:02 deploy');
    await page.getByRole('button', { name: 'Freeze environment' }).click();
    await expect(checkout).toContainText('Locked', { timeout: 20_000 });
    await expect(checkout).toContainText('Frozen by Rhea Manning');
    await page.getByRole('article', { name: 'payments / production' }).getByRole('button', { name: 'Freeze', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Freeze environment' })).toBeVisible();
    await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
    await page.locator('.page').evaluate((el) => el.scrollTo(0, 0));
    await screen(page, 'environments', theme);

    await page.getByRole('link', { name: 'Break-glass' }).click();
    await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeVisible();
    await screen(page, 'breakglass-start', theme);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByText(/Chain verified/)).toBeVisible();
    await screen(page, 'audit', theme);

    await page.getByRole('link', { name: 'Insights' }).click();
    await expect(page.getByRole('heading', { name: 'Waiting longest' })).toBeVisible();
    await screen(page, 'insights', theme);
  });
}
