/** The demo's release manager: the user `npm start` and `npm run web` sign in as. */
export const DEMO_RELEASE_MANAGER_EMAIL = 'rhea.manning@example.com';
