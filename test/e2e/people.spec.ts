// People: as the admin, a user is created (their first token shown once), given a token on their
// page (read from the once-shown box), which the server accepts until it is revoked in the
// console; deactivating someone makes the server refuse their token. As the release manager
// everything is read-only. Your own tokens are made and revoked from the same component.
import { test, expect, screen } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const JONAS = 'jonas.berg@example.com';

const me = (serverUrl: string, secret: string) =>
  fetch(new URL('/api/me', serverUrl), { headers: { authorization: `Bearer ${secret}` } }).then((r) => r.status);

async function shots(page: import('@playwright/test').Page, name: string) {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screen(page, name, theme);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
}

test.describe('as the admin', () => {
  let remote: RemoteSetup;
  test.beforeEach(async () => {
    remote = await startRemote(ADAM);
  });
  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
  });

  test('create a user, give them a token, revoke it and see it refused; deactivate someone', async ({ page }) => {
    await page.goto(remote.openUrl);
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'People' }).click();
    const people = page.getByRole('table', { name: 'People' });
    await expect(people.getByRole('row', { name: /Rhea Manning/ })).toContainText('release-manager');
    await expect(page.getByRole('list', { name: 'Teams' })).toContainText('Rhea Manning');
    await shots(page, 'people-list');

    // Search narrows the list.
    await page.getByRole('searchbox', { name: 'Search people' }).fill('sre');
    await expect(people.getByRole('row', { name: /Sam Ortiz/ })).toBeVisible();
    await expect(people.getByRole('row', { name: /Dev Patel/ })).toHaveCount(0);
    await page.getByRole('searchbox', { name: 'Search people' }).fill('');

    // A new user: a bad email is refused in words and nothing is sent; then the real one.
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.getByRole('form', { name: 'New user' });
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Zoe Park');
    await form.getByRole('textbox', { name: 'Email' }).fill('zoe.park');
    await form.getByRole('button', { name: 'Create user' }).click();
    await expect(form.getByRole('alert')).toContainText('Email:');
    await form.getByRole('textbox', { name: 'Email' }).fill('zoe.park@example.com');
    await form.getByRole('textbox', { name: 'Custom roles' }).fill('tech-lead');
    await form.getByRole('checkbox', { name: 'Developers' }).check();
    await shots(page, 'people-new-user');
    await form.getByRole('button', { name: 'Create user' }).click();
    const once = page.getByRole('dialog', { name: /Zoe Park added/ });
    await expect(once).toContainText("you won't see it again");
    const initial = await once.getByRole('textbox', { name: 'Token secret' }).inputValue();
    expect(initial).toMatch(/^ghs_/);
    expect(await me(remote.serverUrl, initial)).toBe(200);
    await once.getByRole('button', { name: 'Done' }).click();
    await expect(once).toBeHidden();
    const zoe = people.getByRole('row', { name: /Zoe Park/ });
    await expect(zoe).toContainText('tech-lead');
    await expect(zoe).toContainText('Developers');

    // Their page: a token with a name and an expiry, its secret shown once.
    await zoe.getByRole('link', { name: 'Zoe Park' }).click();
    await expect(page.getByRole('heading', { name: 'Zoe Park', level: 1 })).toBeVisible();
    const tokens = page.getByRole('table', { name: 'Tokens of Zoe Park' });
    await expect(tokens.getByRole('row', { name: /initial/ })).toBeVisible();
    await page.getByRole('textbox', { name: 'Token name' }).fill('ci deploys');
    await page.getByRole('combobox', { name: 'Expires after' }).selectOption({ label: '30 days' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('dialog', { name: 'Token “ci deploys” created for Zoe Park' });
    await expect(shown).toContainText("you won't see it again");
    const secret = await shown.getByRole('textbox', { name: 'Token secret' }).inputValue();
    await shots(page, 'people-token-once');
    await shown.getByRole('button', { name: 'Done' }).click();
    expect(await me(remote.serverUrl, secret)).toBe(200);
    const ci = tokens.getByRole('row', { name: /ci deploys/ });
    await expect(ci.getByRole('cell').nth(3)).toContainText(/UTC/);
    await shots(page, 'people-person');

    // Revoked in the console: the server refuses it from then on; the first token still works.
    await ci.getByRole('button', { name: 'Revoke ci deploys' }).click();
    const confirm = page.getByRole('alertdialog');
    await expect(confirm).toContainText('will be refused from now on');
    await confirm.getByRole('button', { name: 'Revoke token' }).click();
    await expect(ci).toBeHidden();
    expect(await me(remote.serverUrl, secret)).toBe(401);
    expect(await me(remote.serverUrl, initial)).toBe(200);

    // Roles and teams change in place.
    await page.getByRole('combobox', { name: 'Org role' }).selectOption('admin');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Saved: Zoe Park')).toBeVisible();
    expect((await remoteApi(remote, '/api/me', ADAM)).status).toBe(200);
    const { body } = await remoteApi(remote, '/api/users', ADAM);
    expect((body.users as { email: string; orgRole: string }[]).find((u) => u.email === 'zoe.park@example.com')?.orgRole).toBe('admin');

    // An owner's page: the admin is told they can't, and offered nothing the server would refuse.
    await page.getByRole('link', { name: 'Everyone' }).click();
    await people.getByRole('link', { name: 'Olivia Hart' }).click();
    await expect(page.getByText('Only owners can change an owner: Olivia Hart is one.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Deactivate' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Create token' })).toHaveCount(0);

    // Deactivating someone: the confirmation says what it does; their token is refused at once.
    expect(await me(remote.serverUrl, remote.tokens.get(JONAS)!)).toBe(200);
    await page.getByRole('link', { name: 'Everyone' }).click();
    await people.getByRole('link', { name: 'Jonas Berg' }).click();
    await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate Jonas Berg?' });
    await expect(dialog).toContainText('Every token of Jonas Berg is refused at once');
    await expect(dialog).toContainText('What they decided and asked for stays as it is');
    await dialog.getByRole('button', { name: 'Deactivate Jonas Berg' }).click();
    await expect(page.getByText('Deactivated', { exact: true })).toBeVisible();
    expect(await me(remote.serverUrl, remote.tokens.get(JONAS)!)).toBe(401);
    await expect(page.getByText('Jonas Berg is deactivated: reactivate them before giving them a new token.')).toBeVisible();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await expect(page.getByText('Active', { exact: true })).toBeVisible();
    expect(await me(remote.serverUrl, remote.tokens.get(JONAS)!)).toBe(200);

    // A team.
    await page.getByRole('link', { name: 'Everyone' }).click();
    await page.getByRole('textbox', { name: 'Team name' }).fill('Data');
    await page.getByRole('button', { name: 'Create team' }).click();
    await expect(page.getByRole('list', { name: 'Teams' })).toContainText('Data');

    // Offline: the directory still reads from the cache; changes say why they can't be made.
    await remote.stopServer();
    await expect(page.getByRole('status')).toContainText('Offline', { timeout: 30_000 });
    await expect(page.getByText('Managing people needs the server; you are offline.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'New user' })).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Create team' })).toBeDisabled();
    await people.getByRole('link', { name: 'Zoe Park' }).click();
    await expect(page.getByText('Managing people needs the server; you are offline.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Deactivate', exact: true })).toBeDisabled();
    await expect(page.getByText('Managing tokens needs the server; you are offline.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create token' })).toBeDisabled();
  });
});

test('as the release manager, People is read-only; your own tokens are made and revoked', async ({ page, app }) => {
  void app;
  await page.keyboard.press('g');
  await page.keyboard.press('u');
  await expect(page.getByRole('link', { name: 'People' })).toHaveAttribute('aria-current', 'page');
  const people = page.getByRole('table', { name: 'People' });
  await expect(people.getByRole('row', { name: /Adam Kowalski/ })).toContainText('Admin');
  await expect(page.getByText('Read-only: only owners and admins')).toBeVisible();
  await expect(page.getByRole('button', { name: 'New user' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Create team' })).toHaveCount(0);
  await page.keyboard.press('/');
  await expect(page.getByRole('searchbox', { name: 'Search people' })).toBeFocused();
  await page.keyboard.type('deactivated');
  await expect(people.getByRole('row')).toHaveCount(2); // the header and "Nobody matches"
  await expect(people).toContainText('Nobody matches “deactivated”.');
  await page.getByRole('searchbox', { name: 'Search people' }).fill('');

  await people.getByRole('link', { name: 'Sam Ortiz' }).click();
  await expect(page.getByRole('heading', { name: 'Sam Ortiz', level: 1 })).toBeVisible();
  await expect(page.getByText('Only owners and admins can change people')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Deactivate' })).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'Org role' })).toHaveCount(0);
  await expect(page.getByRole('table', { name: /Tokens of/ })).toHaveCount(0);

  // Your own page: your tokens, made and revoked here.
  await page.getByRole('link', { name: 'Everyone' }).click();
  await people.getByRole('link', { name: 'Rhea Manning' }).click();
  const tokens = page.getByRole('table', { name: 'Your tokens' });
  await expect(tokens.getByRole('row', { name: /demo/ })).toContainText('this app');
  await page.getByRole('button', { name: 'Create token' }).click();
  await expect(page.getByRole('alert')).toContainText('Give the token a name');
  await page.getByRole('textbox', { name: 'Token name' }).fill('laptop');
  await expect(page.getByRole('combobox', { name: 'Expires after' })).toHaveValue('90');
  await page.getByRole('button', { name: 'Create token' }).click();
  const shown = page.getByRole('dialog', { name: 'Token “laptop” created' });
  const secret = await shown.getByRole('textbox', { name: 'Token secret' }).inputValue();
  await shown.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  const serverUrl = (await page.locator('dd.mono').first().textContent())!.trim();
  expect(await me(serverUrl, secret)).toBe(200);
  const laptop = page.getByRole('table', { name: 'Your tokens' }).getByRole('row', { name: /laptop/ });
  await laptop.getByRole('button', { name: 'Revoke laptop' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
  await expect(laptop).toBeHidden();
  expect(await me(serverUrl, secret)).toBe(401);
});
