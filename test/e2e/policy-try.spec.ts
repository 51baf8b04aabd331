// When it applies, Try it and Replay through the console. As the admin (a separate backend signed
// in as Adam Kowalski, who may edit policies): seed 001's "Production Release Approval" drafted in
// the editor (release.deploy on production, 2 approvals including Security, bound to project
// checkout), tried for Rhea Manning before it is saved, replayed against the cached requests, and
// tried again with the server gone. As the release manager (the `app` fixture, clock pinned): the
// demo's off-hours gate read on its strip in Istanbul time.
import type { Page } from '@playwright/test';
import { test as base } from '@playwright/test';
import { test, expect, screen, ISTANBUL_TUESDAY_11 } from './fixtures.ts';
import { startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const NAME = 'Production Release Approval';
const SECURITY_AND_SRE = ['Lena Fischer', 'Omar Haddad', 'Sam Ortiz', 'Priya Nair', 'Ines Duarte'];

/** Opens a new policy in the editor with the seed-001 draft, unsaved. */
async function draftProductionReleaseApproval(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Policies' }).click();
  await page.getByRole('button', { name: 'New policy' }).click();
  await page.getByRole('textbox', { name: 'Policy name' }).fill(NAME);
  await page.getByRole('group', { name: 'Release' }).getByLabel('Deploy', { exact: true }).check();
  const approving = page.getByRole('group', { name: 'Approving teams' });
  await approving.getByLabel('Security', { exact: true }).check();
  await approving.getByLabel('SRE', { exact: true }).check();
  await page.getByRole('spinbutton', { name: 'Approvals needed' }).fill('2');
  await page.getByRole('group', { name: 'Required teams' }).getByLabel('Security', { exact: true }).check();
  await page.getByRole('group', { name: 'Environments' }).getByLabel('production', { exact: true }).check();
  await page.getByRole('combobox', { name: 'Bind to' }).selectOption('Project');
  await page.getByRole('combobox', { name: 'Project' }).first().selectOption('checkout');
  await page.getByRole('button', { name: 'Add binding' }).click();
  await expect(page.getByRole('button', { name: 'Remove binding to project checkout' })).toBeVisible();
}

/** Try it: a deploy to one environment (asked for by `requester`, default me), and the Verdict region it opens. */
async function tryOn(page: Page, environment: string, requester?: string) {
  const tryForm = page.getByRole('form', { name: 'Try this draft' });
  await tryForm.getByRole('combobox', { name: 'Action' }).selectOption('release.deploy');
  await tryForm.getByRole('combobox', { name: 'Environment' }).selectOption({ label: environment });
  if (requester) await tryForm.getByRole('combobox', { name: 'Requester' }).selectOption({ label: requester });
  await tryForm.getByRole('textbox', { name: 'Justification' }).fill('Ship the checkout fix');
  await tryForm.getByRole('button', { name: 'Try it' }).click();
  const verdict = page.getByRole('region', { name: 'Verdict' });
  await expect(verdict).toBeVisible();
  return verdict;
}

base.describe('as an admin, with the draft unsaved', () => {
  let remote: RemoteSetup;
  base.beforeEach(async () => {
    remote = await startRemote(ADAM);
  });
  base.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
    await remote.close();
  });

  // Nothing here depends on the hour: the draft has no time window, and the saved policies' gates
  // (the off-hours one comes and goes) are only compared with themselves.
  base('the draft gates a production deploy, not a staging one; the strip, Replay, then Try it offline', async ({ page }) => {
    base.setTimeout(120_000);
    await page.goto(remote.openUrl);
    const status = page.getByRole('status');
    await expect(status).toContainText('Online', { timeout: 20_000 });
    await draftProductionReleaseApproval(page);

    // No hour window: every hour of the coming 7 days, environments not drawn, the zones named.
    const when = page.getByRole('region', { name: 'When it applies' });
    await expect(when).toContainText('At any hour of every day');
    await expect(when).toContainText('Only on environment production');
    await expect(when).toContainText(/Policy( and you)?: UTC/);
    await expect(when).toContainText('It applies the whole time.');

    // A production deploy of checkout: gated by the draft, 2 approvals including Security.
    let verdict = await tryOn(page, 'checkout / production', 'Rhea Manning');
    const drafted = verdict.getByRole('listitem').filter({ hasText: 'this draft' });
    await expect(drafted).toHaveCount(1);
    await expect(drafted).toContainText(NAME);
    await expect(drafted).toContainText('Needs: 2 more approvals; approval from team Security');
    for (const who of SECURITY_AND_SRE) await expect(drafted).toContainText(who);
    await expect(drafted).not.toContainText('Rhea Manning');
    await expect(verdict).toContainText(/This draft changes the outcome for Rhea Manning: Gated: (\d) gates → Gated: (\d) gates\./);
    const [, before, after] = (await verdict.textContent())!.match(/Gated: (\d) gates → Gated: (\d) gates/)!;
    expect(Number(after)).toBe(Number(before) + 1);

    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await when.scrollIntoViewIfNeeded();
      await screen(page, 'policy-when', theme);
      await verdict.scrollIntoViewIfNeeded();
      await screen(page, 'policy-verdict', theme);
    }

    // A staging deploy: the draft does not touch it.
    verdict = await tryOn(page, 'checkout / staging', 'Rhea Manning');
    await expect(verdict).toContainText('Same outcome with and without this draft for Rhea Manning.');
    await expect(verdict.getByText('this draft', { exact: true })).toHaveCount(0);

    // Replay against the cached month: counts, who could have approved, examples that link.
    const replay = page.getByRole('region', { name: 'Replay' });
    await replay.getByRole('button', { name: 'Replay', exact: true }).click();
    await expect(replay).toContainText(/\d+ requests from .* this draft would have gated [1-9]\d* and blocked 0\./s);
    await expect(replay.getByRole('list').first()).toContainText('Lena Fischer');
    const example = replay.getByRole('link', { name: 'Deploy of checkout / production' }).first();
    await expect(example).toHaveAttribute('href', /^#\/request\/[\w-]+$/);
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await replay.scrollIntoViewIfNeeded();
      await screen(page, 'policy-replay', theme);
    }

    // Offline: Try it still answers, from the cache.
    await remote.killServer();
    await expect(status).toContainText('Offline', { timeout: 30_000 });
    verdict = await tryOn(page, 'checkout / production', 'Rhea Manning');
    const offline = verdict.getByRole('listitem').filter({ hasText: 'this draft' });
    await expect(offline).toContainText('Needs: 2 more approvals; approval from team Security');
    await expect(offline).toContainText('Lena Fischer');
  });
});

test.describe('as the release manager, clock pinned to Tuesday 11:00 in Istanbul', () => {
  test.use({ clock: ISTANBUL_TUESDAY_11 });

  test('the off-hours gate on its strip: evenings and the weekend, in Istanbul time', async ({ page, app }) => {
    void app;
    await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
    await page.getByRole('link', { name: 'Policies' }).click();
    await page
      .getByRole('navigation', { name: 'Policy list' })
      .getByRole('button', { name: /^Off-Hours Change Gate/ })
      .click();
    const when = page.getByRole('region', { name: 'When it applies' });
    await expect(when).toContainText('Policy: Istanbul time (Europe/Istanbul)');
    await expect(when).toContainText('Tue 10 Mar');
    // The text alternative: the first evening, then Friday evening to Monday morning in one piece.
    await expect(when).toContainText('10 Mar 2026, 18:00 UTC+3 to 11 Mar 2026, 09:00 UTC+3');
    await expect(when).toContainText('13 Mar 2026, 18:00 UTC+3 to 16 Mar 2026, 09:00 UTC+3');

    // Try it on a saved policy, read-only: at 11:00 on a Tuesday the off-hours gate is not met.
    const verdict = await tryOn(page, 'checkout / production');
    await expect(verdict).toContainText('Same outcome with and without this draft for Rhea Manning.');
    await expect(verdict).not.toContainText('Off-Hours Change Gate');
  });
});
