// The GitHub screen, against a server started as a GitHub App. As the admin: the App's id and the
// webhook URL (copied with its button), a repository checked as typed (the schema's words, no
// sending), linked to a project and listed, the same repository again refused in the server's
// words (409), unlinked after a confirmation that Cancel leaves alone, back to the empty state;
// then a person's GitHub login set on their page (a bad one refused by the schema, another
// person's by the server). As the release manager (a member): who manages it, and nothing else.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, screen } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const APP_ID = '31337';
/** Never called: no webhook arrives in this spec, so the server never asks GitHub anything. */
const API_URL = 'http://127.0.0.1:9/api/v3';

async function shots(page: import('@playwright/test').Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, name, theme);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
}

test.describe('as the admin, on a server that is a GitHub App', () => {
  let remote: RemoteSetup;
  let keys: string;

  test.beforeEach(async () => {
    keys = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-github-'));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(keys, 'app.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    writeFileSync(join(keys, 'webhook-secret'), 'an-e2e-webhook-secret-long-enough\n');
    remote = await startRemote(ADAM, [
      '--github-app-id',
      APP_ID,
      '--github-private-key',
      join(keys, 'app.pem'),
      '--github-webhook-secret-file',
      join(keys, 'webhook-secret'),
      '--github-api-url',
      API_URL,
    ]);
  });
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
    rmSync(keys, { recursive: true, force: true });
  });

  test('see the App, copy the webhook URL, link a repository, be refused a duplicate, unlink it; set a person’s GitHub login', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.keyboard.press('g');
    await page.keyboard.press('h');
    await expect(page.getByRole('link', { name: 'GitHub' })).toHaveAttribute('aria-current', 'page');

    const app = page.getByRole('region', { name: 'GitHub App' });
    await expect(app).toContainText('Configured');
    await expect(app).toContainText(APP_ID);
    await expect(app).toContainText(API_URL);
    const webhook = `${remote.serverUrl}/integrations/github/webhook`;
    await expect(app.getByRole('textbox', { name: 'Webhook URL' })).toHaveValue(webhook);
    await app.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByText('Webhook URL copied')).toBeVisible();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(webhook);

    const links = page.getByRole('region', { name: 'Linked repositories' });
    await expect(links).toContainText('No repository is linked yet.');
    await shots(page, 'github-empty');

    // `n` puts the keyboard in the repository box; what is typed is checked as it is typed.
    await page.locator('body').click();
    await page.keyboard.press('n');
    const form = page.getByRole('form', { name: 'Link a repository' });
    const repo = form.getByRole('textbox', { name: 'Repository' });
    await expect(repo).toBeFocused();
    await page.keyboard.type('acme');
    await expect(form.getByText('Repository: must be a repository as owner/name, e.g. acme/payments')).toBeVisible();
    await expect(repo).toHaveAttribute('aria-invalid', 'true');
    await expect(form.getByRole('button', { name: 'Link repository' })).toBeDisabled();
    await page.keyboard.type('/checkout-service');
    await expect(form.getByText('Repository: must be')).toHaveCount(0);
    // The project is picked from the keyboard too.
    await page.keyboard.press('Tab');
    await expect(form.getByRole('combobox', { name: 'Project' })).toBeFocused();
    await form.getByRole('combobox', { name: 'Project' }).selectOption({ label: 'checkout' });
    await page.keyboard.press('Tab');
    await expect(form.getByRole('button', { name: 'Link repository' })).toBeFocused();
    await page.keyboard.press('Enter');

    const table = links.getByRole('table', { name: 'Linked repositories' });
    const row = table.getByRole('row', { name: /acme\/checkout-service/ });
    await expect(row).toContainText('checkout');
    await expect(row).toContainText('by Adam Kowalski');
    await expect(row).toContainText(/\d+ \w+ \d{4}, \d\d:\d\d UTC/);
    await expect(repo).toHaveValue('');
    const listed = await remoteApi(remote, '/api/integrations/github/links', ADAM);
    expect(listed.body.links.map((l: { repository: string }) => l.repository)).toEqual(['acme/checkout-service']);
    await shots(page, 'github-linked');

    // The same repository in other case, to another project: refused by the server, in its words.
    await repo.fill('ACME/Checkout-Service');
    await form.getByRole('combobox', { name: 'Project' }).selectOption({ label: 'payments' });
    await form.getByRole('button', { name: 'Link repository' }).click();
    await expect(form.getByRole('alert')).toHaveText('acme/checkout-service is already linked to project checkout: unlink it first');
    await expect(table.getByRole('row')).toHaveCount(2);
    await shots(page, 'github-refused');

    // Unlink, after a confirmation that Cancel leaves alone.
    await row.getByRole('button', { name: 'Unlink acme/checkout-service' }).click();
    const confirm = page.getByRole('dialog', { name: 'Unlink acme/checkout-service?' });
    await expect(confirm).toContainText('no longer wait for Gatehouse');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: 'Unlink acme/checkout-service' }).click();
    await confirm.getByRole('button', { name: 'Unlink repository' }).click();
    await expect(links).toContainText('No repository is linked yet.');
    expect((await remoteApi(remote, '/api/integrations/github/links', ADAM)).body.links).toEqual([]);

    // A person's GitHub login, on their page.
    await page.getByRole('link', { name: 'People' }).click();
    await page.getByRole('table', { name: 'People' }).getByRole('link', { name: 'Sam Ortiz' }).click();
    const login = page.getByRole('textbox', { name: /GitHub login/ });
    await login.fill('-sam');
    await expect(page.getByText('GitHub login: must be a GitHub login: letters, digits and single hyphens, not at either end')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Save changes' })).toBeDisabled();
    await login.fill('sam-ortiz');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Saved: Sam Ortiz')).toBeVisible();
    const users = (await remoteApi(remote, '/api/users', ADAM)).body.users as { email: string; githubLogin?: string }[];
    expect(users.find((u) => u.email === 'sam.ortiz@example.com')?.githubLogin).toBe('sam-ortiz');
    await shots(page, 'github-person-login');

    // Someone else's login: the server's 409, in its words.
    await page.getByRole('link', { name: 'Everyone' }).click();
    await page.getByRole('table', { name: 'People' }).getByRole('link', { name: 'Priya Nair' }).click();
    await page.getByRole('textbox', { name: /GitHub login/ }).fill('SAM-ortiz');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('alert')).toContainText('the GitHub login SAM-ortiz already belongs to Sam Ortiz');
    const after = (await remoteApi(remote, '/api/users', ADAM)).body.users as { email: string; githubLogin?: string }[];
    expect(after.find((u) => u.email === 'priya.nair@example.com')?.githubLogin).toBeUndefined();
  });
});

test('a member sees who manages the GitHub integration, and nothing of it', async ({ page, app }) => {
  void app;
  await page.getByRole('link', { name: 'GitHub' }).click();
  await expect(page.getByText('Only owners and admins see and manage the GitHub integration')).toBeVisible();
  await expect(page.getByRole('form', { name: 'Link a repository' })).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'GitHub App' })).toHaveCount(0);
  await shots(page, 'github-member');
});
