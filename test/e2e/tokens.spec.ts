// Settings → Your tokens: the signed-in user's tokens listed from the server, one revoked after a
// confirmation, and the app's own token revoked with the warning that the app is signed out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, screen } from './fixtures.ts';

test('list your tokens, revoke one, then revoke the app’s own and be signed out', async ({ page, app }) => {
  await page.getByRole('link', { name: 'Settings' }).click();
  const table = page.getByRole('table', { name: 'Your tokens' });
  await expect(table.getByRole('row', { name: /demo/ })).toContainText('this app');

  // A second token for the same user, made over the API (as a CI job's would be).
  const serverUrl = (await page.locator('dd.mono').first().textContent())!.trim();
  const token = readFileSync(join(app.dataDir, 'backend', 'release-manager.token'), 'utf8').trim();
  const made = await fetch(`${serverUrl}/api/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ci job', expiresInDays: 30 }),
  });
  expect(made.status).toBe(201);
  const { secret } = (await made.json()) as { secret: string };
  await page.getByRole('link', { name: 'Inbox' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  const ci = table.getByRole('row', { name: /ci job/ });
  await expect(ci).toBeVisible();
  await expect(ci).not.toContainText('this app');
  await expect(ci.getByRole('cell').nth(3)).not.toHaveText('never');

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, 'settings-tokens', theme);
  }

  // Another token: a plain confirmation; the app stays signed in.
  await page.getByRole('button', { name: 'Revoke ci job' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Revoke “ci job”?');
  await expect(dialog).toContainText('will be refused from now on');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('button', { name: 'Revoke ci job' }).click();
  await dialog.getByRole('button', { name: 'Revoke token' }).click();
  await expect(ci).toBeHidden();
  await expect(table.getByRole('row', { name: /demo/ })).toBeVisible();
  expect((await fetch(`${serverUrl}/api/me`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);

  // The app's own token: the warning says it signs the app out.
  await page.getByRole('button', { name: 'Revoke demo' }).click();
  await expect(dialog).toContainText('This is the token this app is signed in with. Revoking it signs this app out');
  await expect(dialog.getByRole('button', { name: 'Revoke and sign out' })).toBeVisible();
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, 'settings-revoke-own-token', theme);
  }
  await dialog.getByRole('button', { name: 'Revoke and sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // (Signing out stops the embedded demo backend; test/desktop/tokens.test.ts checks the server refuses the token.)
});
