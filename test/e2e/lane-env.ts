// What test/matrix.ts tells the end-to-end suite about its lane (kept apart from fixtures.ts so
// the matrix does not load Playwright to read a name).

/** Set to '1' in lanes that pin an instant but keep the machine's zone. */
export const SAME_AS_REAL_CLOCK_WHEN_PINNED = 'GATEHOUSE_E2E_SKIP_PINNED';
