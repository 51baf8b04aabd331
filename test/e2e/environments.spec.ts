// Freeze production, see a deploy refused with the locked message, unfreeze it. The backend runs
// apart from web mode here (remote-server.ts) because unfreezing production is gated by the
// demo's "Incident Freeze Review" policy: a second person (an SRE) approves the unfreeze.
import { test, expect } from '@playwright/test';
import { remoteApi, startRemote, type RemoteSetup } from './remote-server.ts';

const RHEA = 'rhea.manning@example.com';
const SAM = 'sam.ortiz@example.com';
const LOCKED = 'Environment "production" is locked. Only Admins and Owners can deploy.';

let remote: RemoteSetup;
test.beforeEach(async () => {
  remote = await startRemote(RHEA);
});
test.afterEach(async ({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('processes.log', { body: remote.log(), contentType: 'text/plain' });
  await remote.close();
});

const api = (path: string, email: string, init: { method?: string; body?: unknown } = {}) => remoteApi(remote, path, email, init);

async function checkoutProduction(): Promise<{ projectId: string; environmentId: string }> {
  const { body: p } = await api('/api/projects', RHEA);
  const projectId = (p.projects as { id: string; name: string }[]).find((x) => x.name === 'checkout')!.id;
  const { body: e } = await api('/api/environments', RHEA);
  const environmentId = (e.environments as { id: string; name: string; projectId: string }[]).find(
    (x) => x.projectId === projectId && x.name === 'production',
  )!.id;
  return { projectId, environmentId };
}

const deploy = (resource: { projectId: string; environmentId: string }) =>
  api('/api/requests', RHEA, {
    method: 'POST',
    body: { action: 'release.deploy', resource, justification: 'Hotfix during the freeze', payload: { revision: 'checkout@hotfix1' } },
  });

test('freeze and unfreeze production, with a deploy refused in between', async ({ page }) => {
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
  await page.getByRole('link', { name: 'Environments' }).click();

  const env = page.getByRole('article', { name: 'checkout / production' });
  await expect(env).toContainText('Restricted');
  await expect(env).toContainText('Rhea Manning, SRE team');

  // Freeze: reason required, 30 minutes.
  await env.getByRole('button', { name: 'Freeze', exact: true }).click();
  const submit = page.getByRole('button', { name: 'Freeze environment' });
  await expect(submit).toBeDisabled();
  await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4312: checkout errors after the 14:02 deploy');
  await page.getByText('30 min', { exact: true }).click();
  await submit.click();

  await expect(env).toContainText('Locked', { timeout: 20_000 });
  await expect(env).toContainText('Frozen by Rhea Manning');
  await expect(env).toContainText('INC-4312: checkout errors after the 14:02 deploy');
  await expect(env).toContainText(/until .*\(in (29|30) minutes\)/);
  await expect(page.getByRole('status')).not.toContainText('queued');

  // A deploy now is refused with the locked message.
  const target = await checkoutProduction();
  const refused = await deploy(target);
  expect(refused.status).toBe(423);
  expect(refused.body.error.message).toBe(LOCKED);

  // Unfreeze: the policy holds it for approval; an SRE approves it.
  await expect(env).toContainText('needs approval: Incident Freeze Review');
  await env.getByRole('textbox', { name: 'Unfreeze note (optional)' }).fill('Error rate back to baseline.');
  await env.getByRole('button', { name: 'Unfreeze', exact: true }).click();
  await page.getByRole('dialog', { name: 'Unfreeze checkout / production?' }).getByRole('button', { name: 'Unfreeze' }).click();
  await expect(env.getByRole('link', { name: 'Unfreeze awaiting approval' })).toBeVisible({ timeout: 20_000 });
  await expect(env).toContainText('Locked');

  const { body: pending } = await api('/api/requests?status=pending&action=environment.unfreeze', SAM);
  const request = (pending.requests as { id: string; resource: { environmentId?: string } }[]).find((r) => r.resource.environmentId === target.environmentId)!;
  expect(request).toBeTruthy();
  const approved = await api(`/api/requests/${request.id}/approve`, SAM, { method: 'POST', body: { comment: 'Dashboards are green.' } });
  expect(approved.status).toBe(200);

  await expect(env).toContainText('Restricted', { timeout: 20_000 });
  await expect(env).not.toContainText('Frozen by');
  await expect(env.getByRole('link', { name: 'Unfreeze awaiting approval' })).toHaveCount(0);

  // Deploys are back to the normal gates: a pending request, not a refusal.
  const after = await deploy(target);
  expect(after.status).toBe(201);
  expect(after.body.request.status).toBe('pending');
});

test('freeze all production for an incident', async ({ page }) => {
  await page.goto(remote.openUrl);
  await expect(page.getByRole('status')).toContainText('Online', { timeout: 20_000 });
  await page.getByRole('link', { name: 'Environments' }).click();
  await page.getByRole('button', { name: 'Freeze all production (3)' }).click();
  await page.getByRole('textbox', { name: 'Reason' }).fill('INC-4400: PSP outage, stop all production changes');
  await page.getByRole('button', { name: 'Freeze 3 environments' }).click();
  for (const project of ['checkout', 'payments', 'search']) {
    const env = page.getByRole('article', { name: `${project} / production` });
    await expect(env).toContainText('Locked', { timeout: 20_000 });
    await expect(env).toContainText('INC-4400: PSP outage');
  }
  await expect(page.getByRole('article', { name: 'checkout / staging' })).toContainText('Restricted');
  // The toast says what the server did, not that something was queued.
  await expect(page.locator('.flash')).toContainText('3 production environments frozen', { timeout: 20_000 });
  await expect(page.getByRole('button', { name: /^Freeze all production/ })).toBeDisabled();
});
