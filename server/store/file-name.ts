/** The database file inside a data dir. */
export const DB_FILE = 'gatehouse.db';
