// Svelte options for the renderer (vite-plugin-svelte and svelte-check read this).
// TypeScript in <script lang="ts"> is handled by Svelte 5 itself; no preprocessor needed.
export default {};
