// The consumer's persona gallery: public personas and your own, searched on the server (name, description, tag);
// opens a chat. Each card shows the picture, the name, a few lines of the description (the whole of it one click
// away) and the first tags, so a page of real personas stays browsable.
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { navigate } from '../router';
import type { Conversation, Page, Persona } from '../types';
import { avatarImage } from './avatar';

/** Tags shown on a card; the rest are counted. */
const CARD_TAGS = 6;

export async function startConversation(personaId: string, greetingIndex = 0): Promise<void> {
  const conversation = await request<Conversation>('POST', '/conversations', { personaId, greetingIndex });
  navigate({ screen: 'chat', conversationId: conversation.id });
}

/** Typing pauses this long before the search goes to the server. */
const SEARCH_DEBOUNCE_MS = 250;

export function renderGallery(main: HTMLElement): () => void {
  const personas: Persona[] = [];
  let nextCursor: string | null = null;
  let searched = '';
  // Answers to an older search are ignored when a newer one is on its way.
  let generation = 0;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const search = el('input', { type: 'search', placeholder: 'name or tag', autocomplete: 'off' });
  const status = statusLine('Loading personas…');
  const grid = el('ul', { class: 'grid', 'aria-label': 'Personas' });
  const more = el('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
  const recent = el('ul', { class: 'plain' });

  const card = (persona: Persona) => {
    const open = el('button', { type: 'button', 'aria-label': `Chat with ${persona.definition.name}` }, 'Chat');
    const alternates = persona.definition.alternateGreetings ?? [];
    // Personas with alternate greetings let the consumer pick the opening (0 is the main greeting).
    const opening = alternates.length > 0 ? el('select', {}, [persona.definition.greeting, ...alternates].map((text, index) => el('option', { value: index }, `${index + 1}. ${text.slice(0, 60)}`))) : null;
    open.addEventListener('click', () => {
      open.disabled = true;
      startConversation(persona.id, opening ? Number(opening.value) : 0).catch((error: Error) => {
        open.disabled = false;
        status.textContent = error.message;
      });
    });
    const { definition } = persona;
    // Cards write {{char}} and {{user}}; a reader sees the name and "you".
    const description = definition.description.trim().replace(/\{\{\s*(char|name|agentname)\s*\}\}/gi, definition.name).replace(/\{\{\s*user\d*\s*\}\}/gi, 'you');
    const hiddenTags = definition.tags.length - CARD_TAGS;
    return el(
      'li',
      { class: 'card persona', 'data-persona-id': persona.id },
      avatarImage(definition, 'thumbnail', 'avatar card-avatar'),
      el('h2', {}, definition.name),
      el('p', { class: 'muted clamp', 'data-testid': 'card-description' }, description || 'No description.'),
      description.length > 90 ? el('details', { class: 'more' }, el('summary', {}, 'Read all'), el('p', { class: 'full' }, description)) : null,
      el(
        'ul',
        { class: 'tags', 'aria-label': 'Tags' },
        definition.tags.slice(0, CARD_TAGS).map((tag) => el('li', {}, tag)),
        hiddenTags > 0 ? el('li', { class: 'more-tags', title: definition.tags.slice(CARD_TAGS).join(', ') }, `+${hiddenTags}`) : null,
      ),
      el('p', { class: 'small muted' }, `${persona.visibility} · v${persona.version} · ${persona.definition.defaultModel}`),
      definition.sharesGate
        ? el('p', { class: 'small' }, `For holders of ${definition.sharesGate.minShares}+ twin shares · `, el('a', { href: `#/persona/${encodeURIComponent(persona.id)}`, 'data-testid': 'shares-link' }, 'Shares'))
        : null,
      opening ? field('Opening', opening) : null,
      open,
    );
  };

  const render = () => {
    replaceChildren(grid, personas.map(card));
    const count = `${personas.length}${nextCursor ? '+' : ''} persona${personas.length === 1 && !nextCursor ? '' : 's'}`;
    status.textContent = searched ? `${count} match “${searched}”.` : `${count}.`;
    more.hidden = !nextCursor;
  };

  /** The first page of a new search (fresh), or the next page of the current one. */
  const load = async (fresh = false) => {
    const mine = fresh ? ++generation : generation;
    const params = new URLSearchParams({ limit: '50' });
    if (searched) params.set('q', searched);
    if (!fresh && nextCursor) params.set('cursor', nextCursor);
    const page = await request<Page<Persona>>('GET', `/personas?${params}`);
    if (mine !== generation) return;
    if (fresh) personas.length = 0;
    personas.push(...page.items);
    nextCursor = page.nextCursor;
    render();
  };

  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      searched = search.value.trim().replace(/^#/, '');
      status.textContent = 'Searching…';
      void load(true).catch((error: Error) => (status.textContent = error.message));
    }, SEARCH_DEBOUNCE_MS);
  });
  more.addEventListener('click', () => void load().catch((error: Error) => (status.textContent = error.message)));
  replaceChildren(
    main,
    el('h1', {}, 'Personas'),
    el('div', { class: 'toolbar' }, field('Search personas', search)),
    status,
    grid,
    more,
    el('section', { 'aria-labelledby': 'recent-heading' }, el('h2', { id: 'recent-heading' }, 'Your conversations'), recent),
  );
  void load(true).catch((error: Error) => (status.textContent = error.message));
  void request<Page<Conversation>>('GET', '/conversations?limit=10')
    .then((page) =>
      replaceChildren(
        recent,
        page.items.length === 0 ? el('li', { class: 'muted' }, 'None yet.') : page.items.map((conversation) => el('li', {}, el('a', { href: `#/chat/${encodeURIComponent(conversation.id)}` }, `${conversation.personaName} · ${new Date(conversation.lastMessageAt).toLocaleString()}`))),
      ),
    )
    .catch(() => undefined);
  return () => clearTimeout(debounce);
}
