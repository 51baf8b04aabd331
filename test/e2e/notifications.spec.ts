// Notifications in the console. As the admin: a webhook channel is made (a bad URL refused at its
// field first), its generated secret shown once, a test sent through it reaches a receiver here
// and shows Delivered; its events are edited; it is deleted after a confirmation. As the release
// manager (a member): the screen says who manages channels, and email preferences chosen in
// Settings are still there after a reload.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, screen } from './fixtures.ts';
import { startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';

async function shots(page: import('@playwright/test').Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, name, theme);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
}

test.describe('as the admin', () => {
  let remote: RemoteSetup;
  let receiver: Server;
  let hookUrl: string;
  const deliveries: string[] = [];

  test.beforeEach(async () => {
    receiver = createServer((req, res) => {
      const id = req.headers['x-gatehouse-delivery'];
      if (typeof id === 'string') deliveries.push(id);
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/gatehouse`;
    remote = await startRemote(ADAM);
  });
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
    await new Promise((r) => receiver.close(r));
  });

  test('create a webhook channel (secret shown once), send a test and see it delivered, edit its events, delete it', async ({ page }) => {
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.keyboard.press('g');
    await page.keyboard.press('o');
    await expect(page.getByRole('heading', { name: 'Channels' })).toBeVisible();
    await expect(page.getByText('No channels yet.')).toBeVisible();

    // `n` opens the form with the keyboard in its first field.
    await page.keyboard.press('n');
    const form = page.getByRole('form', { name: 'New channel' });
    await expect(form.getByRole('textbox', { name: 'Name' })).toBeFocused();
    await page.keyboard.type('Deploys hook');
    await form.getByRole('textbox', { name: 'URL' }).fill('ftp://hooks.example.com');
    await form.getByRole('checkbox', { name: /Request updated/ }).check();
    await form.getByRole('button', { name: 'Create channel' }).click();
    await expect(form.getByText('URL: must be an http:// or https:// URL')).toBeVisible();
    await expect(form.getByRole('textbox', { name: 'URL' })).toHaveAttribute('aria-invalid', 'true');
    await form.getByRole('textbox', { name: 'URL' }).fill(hookUrl);
    await expect(form.getByText('URL: must be')).toHaveCount(0);
    await shots(page, 'notifications-new-channel');
    await form.getByRole('button', { name: 'Create channel' }).click();

    const once = page.getByRole('dialog', { name: 'Signing secret of “Deploys hook”' });
    await expect(once).toContainText("you won't see it again");
    const secret = await once.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await shots(page, 'notifications-secret');
    await once.getByRole('button', { name: 'Done' }).click();
    await expect(once).toBeHidden();
    await expect(page.getByText(secret)).toHaveCount(0);

    const channel = page.getByRole('article', { name: 'Deploys hook' });
    await expect(channel).toContainText('Webhook');
    await expect(channel).toContainText(hookUrl);
    await expect(channel).toContainText('Request waiting');
    await expect(channel).toContainText('Request updated');
    await expect(channel).toContainText('all projects · all environments');

    // Send test: the delivery shows in the channel's panel, pending, then delivered.
    await channel.getByRole('button', { name: 'Send test through Deploys hook' }).click();
    const panel = channel.getByRole('table', { name: 'Deliveries of Deploys hook' });
    const row = panel.getByRole('row').filter({ hasText: 'Test' });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Delivered', { timeout: 30_000 });
    await expect(row).toContainText(/Queued \d+ \w+ \d{4}, \d\d:\d\d UTC/);
    await expect(row.getByRole('cell').nth(3)).toHaveText('1');
    expect(deliveries).toHaveLength(1);
    await shots(page, 'notifications-deliveries');

    // Redeliver: the same delivery again, pending, then delivered a second time.
    await row.getByRole('button', { name: /^Redeliver Test/ }).click();
    await expect(row).toContainText('Delivered', { timeout: 30_000 });
    await expect(row.getByRole('cell').nth(3)).toHaveText('2');
    expect(new Set(deliveries)).toEqual(new Set([deliveries[0]]));

    // Edit: events changed; the kind is fixed; Escape would leave it as it was.
    await channel.getByRole('button', { name: 'Edit Deploys hook' }).click();
    const edit = page.getByRole('form', { name: 'Edit Deploys hook' });
    await expect(edit).toContainText('Webhook channel (the kind is fixed');
    await edit.getByRole('checkbox', { name: /Request waiting/ }).uncheck();
    await edit.getByRole('checkbox', { name: /Request updated/ }).uncheck();
    await edit.getByRole('checkbox', { name: /Request decided/ }).uncheck();
    await edit.getByRole('button', { name: 'Save channel' }).click();
    await expect(edit.getByText('Events: name at least one event')).toBeVisible();
    await edit.getByRole('checkbox', { name: /Environment frozen/ }).check();
    await edit.getByRole('button', { name: 'Save channel' }).click();
    await expect(edit).toBeHidden();
    await expect(channel).toContainText('Environment frozen');
    await expect(channel).not.toContainText('Request waiting');

    // Delete, after a confirmation that Cancel leaves alone.
    await channel.getByRole('button', { name: 'Delete Deploys hook' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete “Deploys hook”?' });
    await expect(confirm).toContainText('cannot be undone');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(channel).toBeVisible();
    await channel.getByRole('button', { name: 'Delete Deploys hook' }).click();
    await confirm.getByRole('button', { name: 'Delete channel' }).click();
    await expect(channel).toHaveCount(0);
    await expect(page.getByText('No channels yet.')).toBeVisible();

    // The organisation's settings are the admin's to change.
    await page.getByRole('link', { name: 'Settings' }).click();
    const org = page.getByRole('form', { name: 'Organisation settings' });
    await org.getByRole('spinbutton', { name: 'First reminder after (minutes)' }).fill('0');
    await org.getByRole('button', { name: 'Save organisation settings' }).click();
    await expect(org.getByText(/Reminder: a whole number of minutes from 1 to 10080/)).toBeVisible();
    await org.getByRole('spinbutton', { name: 'First reminder after (minutes)' }).fill('30');
    await org.getByRole('checkbox', { name: 'Security' }).check();
    await org.getByRole('button', { name: 'Save organisation settings' }).click();
    await expect(org.getByRole('button', { name: 'Save organisation settings' })).toBeDisabled();
    await page.reload();
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await expect(org.getByRole('spinbutton', { name: 'First reminder after (minutes)' })).toHaveValue('30');
    await expect(org.getByRole('checkbox', { name: 'Security' })).toBeChecked();
  });
});

test('a member sees who manages channels, and sets email preferences that persist after a reload', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByText('Only owners and admins see and manage notification channels')).toBeVisible();
  await expect(page.getByRole('button', { name: /New channel/ })).toHaveCount(0);
  await shots(page, 'notifications-member');

  await page.getByRole('link', { name: 'your email preferences' }).click();
  const email = page.getByRole('form', { name: 'Email notifications' });
  const reminder = email.getByRole('checkbox', { name: /Reminder/ });
  await expect(reminder).toBeChecked();
  await expect(email.getByRole('button', { name: 'Save email preferences' })).toBeDisabled();
  await reminder.uncheck();
  await email.getByRole('checkbox', { name: /Request updated/ }).uncheck();
  await email.getByRole('button', { name: 'Save email preferences' }).click();
  await expect(email.getByRole('button', { name: 'Save email preferences' })).toBeDisabled();

  // Organisation settings: shown, not changeable.
  const org = page.getByRole('form', { name: 'Organisation settings' });
  await expect(org.getByRole('spinbutton', { name: 'First reminder after (minutes)' })).toHaveValue('60');
  await expect(org.getByRole('spinbutton', { name: 'First reminder after (minutes)' })).toHaveAttribute('readonly', '');
  await expect(org.getByRole('button', { name: 'Save organisation settings' })).toHaveCount(0);
  await page.getByRole('heading', { name: 'Email notifications' }).scrollIntoViewIfNeeded();
  await shots(page, 'settings-email');

  await page.reload();
  await expect(page.getByRole('status')).toContainText(/Online|Syncing/, { timeout: 20_000 });
  await expect(email.getByRole('checkbox', { name: /Reminder/ })).not.toBeChecked();
  await expect(email.getByRole('checkbox', { name: /Request updated/ })).not.toBeChecked();
  await expect(email.getByRole('checkbox', { name: /Request waiting/ })).toBeChecked();
});
