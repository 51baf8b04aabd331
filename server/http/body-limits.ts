/** Every route's body limit, but the one that carries a diff. */
export const BODY_LIMIT = 1024 * 1024;
/** POST /api/requests: its diff can run to many thousands of lines. */
export const REQUEST_BODY_LIMIT = 16 * 1024 * 1024;
