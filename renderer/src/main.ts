// The renderer's entry: the API first (web mode takes its secret out of the address before the
// router reads it), the theme before the first paint, then the app.
import './lib/api.ts';
import { mount } from 'svelte';
import { restoreTheme } from './lib/state/settings.svelte.ts';
import App from './App.svelte';
import './app.css';

restoreTheme();
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app');
mount(App, { target });
