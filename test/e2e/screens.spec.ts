// Screenshots of every screen, light and dark, at the smallest size the console supports (1024×700)
// and the common laptop size (1280×800), into test-results/screens/<name>-<width>x<height>-<theme>.png
// (the issue asks for them; designers look at them). test/e2e/layout.spec.ts checks the same screens
// for overlap and overflow, so these pictures are for eyes, not for asserts.
import type { Page } from '@playwright/test';
import { test, expect, inboxList, screen } from './fixtures.ts';

const SIZES = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 },
] as const;

async function go(page: Page, nav: string) {
  await page.getByRole('link', { name: nav, exact: true }).click();
}

for (const size of SIZES) {
  for (const theme of ['light', 'dark'] as const) {
    test(`every screen at ${size.width}×${size.height} in the ${theme} theme`, async ({ page, app }) => {
      void app;
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      const shot = (name: string) => screen(page, `${name}-${size.width}x${size.height}`, theme);

      const list = inboxList(page);
      await expect(list.getByRole('listitem').first()).toContainText(/\w/);
      await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
      await shot('inbox');

      // Three rows of different revisions selected: the bulk bar says why it can't approve them.
      for (const i of [0, 1, 2]) await list.getByRole('checkbox').nth(i).check();
      await expect(page.getByText('3 selected')).toBeVisible();
      await shot('inbox-selected');
      await page.getByRole('button', { name: 'Clear', exact: true }).click();

      // The production deploy of payments: a small JSON diff, two policy gates.
      await page.getByRole('textbox', { name: 'Search' }).fill('payments@9b01e77');
      await expect(list.getByRole('listitem')).toHaveCount(1);
      await list.getByRole('link').first().click();
      await expect(page.getByRole('region', { name: 'Diff' })).toContainText('adyen-eu');
      await shot('request');

      // The Terraform destroy on payments: its risk facts, and the demo's content rules that judged it.
      await page.getByRole('link', { name: 'Inbox', exact: true }).click();
      await page.getByRole('textbox', { name: 'Search' }).fill('infra@77d0e2b');
      await expect(list.getByRole('listitem')).toHaveCount(1);
      await expect(list.getByRole('listitem')).toContainText('infra@77d0e2b');
      await list.getByRole('link').first().click();
      const rules = page.getByRole('region', { name: /^Content rules/ });
      await expect(rules.getByRole('listitem').filter({ hasText: /^\s*terraform destroy/ })).toContainText('matched: holds for approval', { timeout: 20_000 });
      await page.getByRole('region', { name: 'Risk facts' }).scrollIntoViewIfNeeded();
      await shot('request-risk');
      await rules.scrollIntoViewIfNeeded();
      await shot('request-rules');

      // A policy with content rules, read-only: each rule quoted in its words.
      await go(page, 'Policies');
      await page
        .getByRole('navigation', { name: 'Policy list' })
        .getByRole('button', { name: /^Production Terraform Destroy/ })
        .click();
      await expect(page.getByRole('article', { name: 'Production Terraform Destroy' }).getByLabel('Summary in plain words')).toContainText(
        'risk.terraformDestroys',
      );
      await page.locator('.page').evaluate((el) => el.scrollTo(0, 0));
      await shot('policy-rules');

      // One frozen environment (with its times written out) and an open freeze form.
      await go(page, 'Environments');
      const checkout = page.getByRole('article', { name: 'checkout / production' });
      await checkout.getByRole('button', { name: 'Freeze', exact: true }).click();
      await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4312: checkout errors after the 14:02 deploy');
      await page.getByRole('button', { name: 'Freeze environment' }).click();
      await expect(checkout).toContainText('Frozen by Rhea Manning', { timeout: 20_000 });
      await page.getByRole('article', { name: 'payments / production' }).getByRole('button', { name: 'Freeze', exact: true }).click();
      await expect(page.getByRole('button', { name: 'Freeze environment' })).toBeVisible();
      await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
      await page.locator('.page').evaluate((el) => el.scrollTo(0, 0));
      await shot('environments');

      await go(page, 'Break-glass');
      await expect(page.getByRole('button', { name: 'Start break-glass session' })).toBeVisible();
      await shot('breakglass');

      await go(page, 'Audit log');
      await expect(page.getByText(/Chain verified/)).toBeVisible({ timeout: 20_000 });
      await shot('audit');

      await go(page, 'Insights');
      await expect(page.getByRole('heading', { name: 'Waiting longest' })).toBeVisible();
      await shot('insights');

      // The release manager is a member: the screen says who manages channels.
      await go(page, 'Notifications');
      await expect(page.getByText('Only owners and admins see and manage notification channels')).toBeVisible();
      await shot('notifications');

      await go(page, 'Settings');
      await expect(page.getByRole('heading', { name: 'Desktop notifications' })).toBeVisible();
      await shot('settings');
      await page.getByRole('heading', { name: 'Email notifications' }).scrollIntoViewIfNeeded();
      await expect(page.getByRole('form', { name: 'Email notifications' }).getByRole('checkbox').first()).toBeVisible();
      await shot('settings-notifications');

      await go(page, 'Inbox');
      await page.keyboard.press('?');
      await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
      await shot('shortcuts');
      await page.keyboard.press('Escape');
      await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();

      // Last: signing out stops the embedded demo backend.
      await go(page, 'Settings');
      await page.getByRole('button', { name: 'Sign out', exact: true }).click();
      // (If sign-out asks for a confirmation, confirm it.)
      const signInHeading = page.getByRole('heading', { name: 'Sign in' });
      const confirm = page.getByRole('dialog').getByRole('button', { name: /^Sign out/ });
      await expect(signInHeading.or(confirm).first()).toBeVisible({ timeout: 20_000 });
      if (await confirm.isVisible()) await confirm.click();
      await expect(signInHeading).toBeVisible({ timeout: 20_000 });
      await expect(page.locator('.toast')).toHaveCount(0, { timeout: 10_000 });
      await shot('signin');
    });
  }
}
