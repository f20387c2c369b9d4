// The consumer's persona gallery: public personas and your own, searchable by name or tag; opens a chat.
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { matchesSearch } from '../persona-search';
import { navigate } from '../router';
import type { Conversation, Page, Persona } from '../types';

export async function startConversation(personaId: string, greetingIndex = 0): Promise<void> {
  const conversation = await request<Conversation>('POST', '/conversations', { personaId, greetingIndex });
  navigate({ screen: 'chat', conversationId: conversation.id });
}

export function renderGallery(main: HTMLElement): () => void {
  const personas: Persona[] = [];
  let nextCursor: string | null = null;
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
    return el(
      'li',
      { class: 'card persona', 'data-persona-id': persona.id },
      el('h2', {}, persona.definition.name),
      el('p', { class: 'muted' }, persona.definition.description || 'No description.'),
      el('ul', { class: 'tags', 'aria-label': 'Tags' }, persona.definition.tags.map((tag) => el('li', {}, tag))),
      el('p', { class: 'small muted' }, `${persona.visibility} · v${persona.version} · ${persona.definition.defaultModel}`),
      opening ? field('Opening', opening) : null,
      open,
    );
  };

  const render = () => {
    const shown = personas.filter((persona) => matchesSearch(persona, search.value));
    replaceChildren(grid, shown.map(card));
    status.textContent = `${shown.length} of ${personas.length} personas${search.value ? ` match “${search.value}”` : ''}.`;
    more.hidden = !nextCursor;
  };

  const load = async () => {
    const query = nextCursor ? `?limit=50&cursor=${encodeURIComponent(nextCursor)}` : '?limit=50';
    const page = await request<Page<Persona>>('GET', `/personas${query}`);
    personas.push(...page.items);
    nextCursor = page.nextCursor;
    render();
  };

  search.addEventListener('input', render);
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
  void load().catch((error: Error) => (status.textContent = error.message));
  void request<Page<Conversation>>('GET', '/conversations?limit=10')
    .then((page) =>
      replaceChildren(
        recent,
        page.items.length === 0 ? el('li', { class: 'muted' }, 'None yet.') : page.items.map((conversation) => el('li', {}, el('a', { href: `#/chat/${encodeURIComponent(conversation.id)}` }, `${conversation.personaName} · ${new Date(conversation.lastMessageAt).toLocaleString()}`))),
      ),
    )
    .catch(() => undefined);
  return () => undefined;
}
