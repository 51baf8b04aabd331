// Content rules through the console, as the admin (a separate backend signed in as Adam Kowalski,
// who may edit policies): a rule whose `when` misspells a risk fact shows the compile error under
// its line with a caret at the column, and Save is refused; fixed, Try it shows the rule matching
// a diff that deletes a resource (computed offline from the cache), and the policy is saved. A
// request Rhea Manning then files with such a diff shows, in its detail, the rule that matched,
// the request's risk facts and its gate's escalation, online and then offline from the cache.
// The lane's clock reaches the separate backend too, so the demo's Off-Hours Change Gate applies
// in the night lanes: Try it and the filed request give a reason, as that gate requires, and only
// the draft's rule and gate are asserted, never the saved policies' gates.
import type { Page } from '@playwright/test';
import { test, expect } from '@playwright/test';
import { screen } from './fixtures.ts';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const ADAM = 'adam.kowalski@example.com';
const RHEA = 'rhea.manning@example.com';
const NAME = 'Staging deletions';
const REVISION = 'checkout@rules-e2e';
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1280, height: 800 },
] as const;

/** A diff deleting one PersistentVolumeClaim manifest: the server and Try it count one deleted resource. */
const DELETES_PVC = [
  'diff --git a/k8s/pvc.yaml b/k8s/pvc.yaml',
  'deleted file mode 100644',
  '--- a/k8s/pvc.yaml',
  '+++ /dev/null',
  '@@ -1,4 +0,0 @@',
  '-apiVersion: v1',
  '-kind: PersistentVolumeClaim',
  '-metadata:',
  '-  name: data',
  '',
].join('\n');

let remote: RemoteSetup;
test.beforeEach(async () => {
  remote = await startRemote(ADAM);
});
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

async function shots(page: Page, name: string, scrollTo: () => Promise<void>): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const theme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
      await scrollTo();
      await screen(page, `${name}-${size.width}x${size.height}`, theme);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('a rule that does not compile is shown at its position and refused; fixed, it matches in Try it, saves, and a request shows it matched', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });

  await page.getByRole('link', { name: 'Policies' }).click();
  await page.getByRole('button', { name: 'New policy' }).click();
  await page.getByRole('textbox', { name: 'Policy name' }).fill(NAME);
  await page.getByRole('group', { name: 'Release' }).getByLabel('Deploy', { exact: true }).check();
  await page.getByRole('group', { name: 'Approving teams' }).getByLabel('SRE', { exact: true }).check();
  await page.getByRole('group', { name: 'Environments' }).getByLabel('staging', { exact: true }).check();
  await page.getByRole('combobox', { name: 'Bind to' }).selectOption('Project');
  await page.getByRole('combobox', { name: 'Project' }).first().selectOption('checkout');
  await page.getByRole('button', { name: 'Add binding' }).click();

  // A misspelt risk fact: the error as it is typed, on line 1 at column 6, the caret under "deleted".
  await page.getByRole('button', { name: 'Add rule' }).click();
  const rule = page.getByRole('group', { name: 'Rule 1' });
  await rule.getByRole('textbox', { name: 'Rule name' }).fill('no deletions');
  const when = rule.getByRole('textbox', { name: 'When (CEL)' });
  await when.fill('risk.deleted > 0');
  await expect(when).toHaveAttribute('aria-invalid', 'true');
  const error = rule.getByRole('alert');
  await expect(error).toContainText('Line 1, column 6: No such key: deleted');
  await expect(error.locator('pre')).toHaveText('risk.deleted > 0\n     ^');
  await shots(page, 'rules-editor-error', () => rule.scrollIntoViewIfNeeded());

  // Save is refused: the editor stays open with the error, nothing is created.
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByRole('heading', { name: `Edit ${NAME}` })).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'New policy' })).toBeVisible();
  await expect(error).toContainText('No such key: deleted');
  expect(((await remoteApi(remote, '/api/policies', ADAM)).body.policies as { name: string }[]).some((p) => p.name === NAME)).toBe(false);

  // Fixed: no error, the rule raises the quorum to two approvals, and the summary says so.
  await when.fill('risk.deletedResources > 0');
  await expect(when).toHaveAttribute('aria-invalid', 'false');
  await expect(rule.getByRole('alert')).toHaveCount(0);
  await expect(rule.getByRole('combobox', { name: 'Outcome' })).toHaveValue('pending');
  await rule.getByRole('spinbutton', { name: 'Rule no deletions: approvals needed' }).fill('2');
  await expect(page.getByLabel('Summary in plain words')).toContainText(
    'holds for approval, needing 2 approvals, when risk.deletedResources > 0 ("no deletions")',
  );

  // Escalation: Security may approve too once a gate has waited 30 minutes.
  await page.getByLabel('Widen the approvers when a gate waits too long').check();
  await page.getByRole('spinbutton', { name: 'After (minutes)' }).fill('30');
  await page.getByRole('group', { name: 'Escalation teams' }).getByLabel('Security', { exact: true }).check();
  await expect(page.getByLabel('Summary in plain words')).toContainText('after 30 min short of its quorum, team Security may approve too');

  // Try it, offline from the cache: a staging deploy deleting a PVC matches the rule; without the diff it does not.
  const tryForm = page.getByRole('form', { name: 'Try this draft' });
  await tryForm.getByRole('combobox', { name: 'Action' }).selectOption('release.deploy');
  await tryForm.getByRole('combobox', { name: 'Environment' }).selectOption({ label: 'checkout / staging' });
  await tryForm.getByRole('combobox', { name: 'Requester' }).selectOption({ label: 'Rhea Manning' });
  await tryForm.getByRole('textbox', { name: 'Justification' }).fill('Drop the old volume');
  await tryForm.getByRole('textbox', { name: 'Diff (optional)' }).fill(DELETES_PVC);
  await tryForm.getByRole('button', { name: 'Try it' }).click();
  const drafted = page.getByRole('list', { name: 'With this draft: content rules' });
  await expect(drafted.getByRole('listitem').filter({ hasText: 'no deletions' })).toContainText('matched: holds for approval');
  const own = page.getByRole('region', { name: 'Verdict' }).getByRole('listitem').filter({ hasText: 'this draft' });
  await expect(own).toContainText('Needs: 2 more approvals');
  await shots(page, 'rules-try', () => drafted.scrollIntoViewIfNeeded());
  await tryForm.getByRole('textbox', { name: 'Diff (optional)' }).fill('');
  await tryForm.getByRole('button', { name: 'Try it' }).click();
  await expect(drafted.getByRole('listitem').filter({ hasText: 'no deletions' })).toContainText('did not match');

  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(`Created policy ${NAME}`)).toBeVisible({ timeout: 20_000 });
  const detail = page.getByRole('article', { name: NAME });
  await expect(detail.getByRole('definition').filter({ hasText: 'when risk.deletedResources > 0 ("no deletions")' })).toBeVisible();
  await expect(detail.getByRole('definition').filter({ hasText: /^after 30 min short of its quorum, team Security may approve too$/ })).toBeVisible();
  const saved = ((await remoteApi(remote, '/api/policies', ADAM)).body.policies as { name: string; rules?: unknown[] }[]).find((p) => p.name === NAME);
  expect((saved as { escalation?: unknown })?.escalation).toEqual({
    afterMinutes: 30,
    approvers: { userIds: [], teamIds: [expect.any(String)], orgRoles: [] },
  });
  expect(saved?.rules).toEqual([
    { name: 'no deletions', when: 'risk.deletedResources > 0', outcome: 'pending', quorum: expect.objectContaining({ minApprovals: 2 }) },
  ]);

  // Rhea files a staging deploy deleting the PVC: the server's rule results and risk facts in the detail.
  const { body: p } = await remoteApi(remote, '/api/projects', RHEA);
  const projectId = (p.projects as { id: string; name: string }[]).find((x) => x.name === 'checkout')!.id;
  const { body: e } = await remoteApi(remote, '/api/environments', RHEA);
  const environmentId = (e.environments as { id: string; name: string; projectId: string }[]).find(
    (x) => x.projectId === projectId && x.name === 'staging',
  )!.id;
  const created = await remoteApi(remote, '/api/requests', RHEA, {
    method: 'POST',
    body: { action: 'release.deploy', resource: { environmentId }, justification: 'Drop the old volume', payload: { revision: REVISION, diff: DELETES_PVC } },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);

  await page.getByRole('link', { name: 'Inbox' }).click();
  const list = page.getByRole('list', { name: 'Approvals inbox' });
  await page.getByRole('textbox', { name: 'Search' }).fill(REVISION);
  await expect(list.getByRole('listitem')).toHaveCount(1, { timeout: 20_000 });
  await list.getByRole('link').first().click();

  const rules = page.getByRole('region', { name: /^Content rules/ });
  const matched = rules.getByRole('listitem').filter({ hasText: 'no deletions' });
  await expect(matched).toContainText('matched: holds for approval', { timeout: 20_000 });
  await expect(matched).toContainText(NAME);
  await expect(matched).toContainText('risk.deletedResources > 0');
  const risk = page.getByRole('region', { name: 'Risk facts' });
  await expect(risk).toContainText('Deleted resources 1');
  await expect(risk).toContainText('1 file, +0 −4 lines · deletes PersistentVolumeClaim');
  await expect(
    page
      .getByRole('region', { name: /^Policies/ })
      .getByRole('listitem')
      .filter({ hasText: NAME }),
  ).toContainText('0 of 2');
  await shots(page, 'rules-request', () => rules.scrollIntoViewIfNeeded());

  // Offline, opened again: the rule results and risk facts come from the cached request.
  await remote.killServer();
  await expect(page.getByRole('status')).toContainText('Offline', { timeout: 30_000 });
  await page.getByRole('link', { name: 'Inbox' }).click();
  await expect(list.getByRole('listitem')).toContainText(REVISION);
  await list.getByRole('link').first().click();
  await expect(matched).toContainText('matched: holds for approval', { timeout: 20_000 });
  await expect(risk).toContainText('Deleted resources 1');
});
