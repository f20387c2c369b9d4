// The app shell: sign-in, navigation, and one screen at a time chosen by the URL hash.
import { el, field, replaceChildren } from './dom';
import { request, ApiError } from './api';
import { apiKey, signIn, signOut } from './session';
import { hrefOf, parseRoute, type Route } from './router';
import type { Account } from './types';
import { renderGallery } from './views/gallery';
import { renderChat } from './views/chat';

/** Each screen returns a cleanup (closing sockets, timers) run before the next screen mounts. */
export type Cleanup = () => void;

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
let cleanup: Cleanup | null = null;
let account: Account | null = null;

function renderNav(route: Route): void {
  const links: [string, Route][] = [
    ['Personas', { screen: 'gallery' }],
    ['Studio', { screen: 'studio', personaId: null }],
    ['Models', { screen: 'hub', ref: null }],
  ];
  if (account?.roles.includes('operator')) links.push(['Operations', { screen: 'ops' }]);
  replaceChildren(
    nav,
    links.map(([label, target]) => el('a', { href: hrefOf(target), 'aria-current': target.screen === route.screen ? 'page' : null }, label)),
    account ? el('span', { class: 'who' }, account.displayName) : null,
    account
      ? el('button', { type: 'button', class: 'link', onclick: () => { signOut(); account = null; void show(); } }, 'Sign out')
      : null,
  );
}

function renderSignIn(message?: string): void {
  const input = el('input', { type: 'password', name: 'apiKey', autocomplete: 'off', required: true, placeholder: 'dpl_…', spellcheck: 'false' });
  const form = el(
    'form',
    {
      class: 'card narrow',
      onsubmit: (event: Event) => {
        event.preventDefault();
        signIn(input.value);
        void show();
      },
    },
    el('h1', {}, 'Sign in'),
    el('p', {}, 'Paste your Doppel API key. It stays in this browser (localStorage) and is sent only to this gateway.'),
    message ? el('p', { class: 'error', role: 'alert' }, message) : null,
    field('API key', input, 'After `bash scripts/up.sh` the demo key is in .run/demo.json.'),
    el('button', { type: 'submit' }, 'Sign in'),
  );
  replaceChildren(main, form);
  input.focus();
}

let shown = 0;

async function show(): Promise<void> {
  cleanup?.();
  cleanup = null;
  // A later navigation wins over a screen still loading.
  const generation = ++shown;
  const route = parseRoute(location.hash);
  if (!apiKey()) {
    renderNav(route);
    return renderSignIn();
  }
  if (!account) {
    try {
      account = await request<Account>('GET', '/accounts/me');
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        signOut();
        renderNav(route);
        return renderSignIn('That key was not accepted. Check it and try again.');
      }
      replaceChildren(main, el('p', { class: 'error', role: 'alert' }, (error as Error).message));
      return;
    }
  }
  if (generation !== shown) return;
  renderNav(route);
  replaceChildren(main);
  switch (route.screen) {
    case 'chat':
      cleanup = renderChat(main, route.conversationId);
      break;
    case 'studio': {
      // The studio and the dashboard are loaded on demand, keeping them out of the chat view's first load.
      const studio = await import('./views/studio');
      if (generation === shown) cleanup = studio.renderStudio(main, route.personaId, account);
      break;
    }
    case 'persona': {
      const page = await import('./views/persona-page');
      if (generation === shown) cleanup = page.renderPersonaPage(main, route.personaId);
      break;
    }
    case 'ops': {
      const ops = await import('./views/ops');
      if (generation === shown) cleanup = ops.renderOps(main);
      break;
    }
    case 'hub': {
      const hub = route.ref ? await import('./views/hub-model') : await import('./views/hub');
      if (generation !== shown) break;
      cleanup = 'renderHubModel' in hub ? hub.renderHubModel(main, route.ref!) : hub.renderHub(main);
      break;
    }
    default:
      cleanup = renderGallery(main);
  }
}

// After a navigation, keyboard and screen-reader users start at the new screen, not at the old link.
window.addEventListener('hashchange', () => void show().then(() => main.focus({ preventScroll: true })));
void show();
