// The dependency rules of .dependency-cruiser.cjs fail on deliberate violations: one small tree
// per rule under fixtures/, cruised with the real configuration, must break exactly that rule;
// a tree that keeps to the layers must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const FIXTURES = join(ROOT, 'test', 'lint', 'fixtures');
const BIN = join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Cruise {
  summary: { violations: { rule: { name: string } }[] };
}

async function cruise(fixture: string): Promise<string[]> {
  const dir = join(FIXTURES, fixture);
  const roots = readdirSync(dir);
  // depcruise exits non-zero on violations; the JSON report is on stdout either way.
  const { stdout } = await promisify(execFile)(BIN, ['--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json', ...roots], {
    cwd: dir,
    maxBuffer: 16 << 20,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return (JSON.parse(stdout) as Cruise).summary.violations.map((v) => v.rule.name);
}

for (const rule of readdirSync(FIXTURES).filter((d) => d !== 'allowed')) {
  test(`a deliberate violation of ${rule} is caught`, async () => {
    const broken = await cruise(rule);
    assert.ok(broken.length > 0, `${rule}: no violation reported`);
    assert.deepEqual([...new Set(broken)], [rule]);
  });
}

test('a tree that keeps to the layers passes', async () => {
  assert.deepEqual(await cruise('allowed'), []);
});
