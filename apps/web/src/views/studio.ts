// The creator studio: your personas, create and edit with a live system-prompt preview, import, export,
// versions, ratings and a test chat.
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { applyMessageLimit } from '../limits';
import { navigate } from '../router';
import type { Account, Conversation, Page, Persona } from '../types';
import { mountChatPane, type ChatPane } from './chat-pane';
import { emptyDraft, personaEditor, type Draft } from './persona-editor';
import { importPanel } from './persona-import';
import { knowledgePanel } from './knowledge-panel';
import { lorebooksPanel, type LorebooksPanel } from './lorebooks-panel';
import { exportPanel, ratingsPanel, versionsPanel } from './persona-history';

function draftOf(persona: Persona): Draft {
  // A deep copy: the form edits the draft in place, and the saved persona must stay as loaded.
  return { ...(JSON.parse(JSON.stringify(persona.definition)) as Persona['definition']), visibility: persona.visibility };
}

interface PromptPreview {
  messages: { role: string; content: string }[];
  approximateTokens: number;
  loreEntries: number[];
  attachedLoreEntries: { lorebookId: string; index: number }[];
  leftOut: { part: string; tokens: number; reason: string }[];
  tokenBudget: number;
}

/** The gateway assembles the preview with the worker's own PromptAssembler, so it is exactly what a model gets. */
function livePreview(output: HTMLElement, leftOut: HTMLElement, sampleMessage: HTMLInputElement): (draft: Draft) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let latest = 0;
  return (draft) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      const request_ = ++latest;
      try {
        const { visibility: _visibility, avatar, ...persona } = draft;
        const preview = await request<PromptPreview>('POST', '/personas/preview-prompt', {
          persona: { ...persona, ...(avatar ? { avatar } : {}), name: persona.name || 'Unnamed' },
          sampleMessage: sampleMessage.value,
        });
        if (request_ !== latest) return;
        const parts = preview.messages.map((message, index) =>
          index === preview.messages.length - 1 && message.role === 'user' ? `[user]\n${message.content || '(sample message)'}` : `[${message.role}]\n${message.content}`,
        );
        const placed = preview.loreEntries.length + preview.attachedLoreEntries.length;
        const lore = placed > 0 ? `\n\n(lorebook entries placed: ${placed}${preview.loreEntries.length > 0 ? `; own book: ${preview.loreEntries.map((index) => index + 1).join(', ')}` : ''})` : '';
        output.textContent = `${parts.join('\n\n')}${lore}\n\n≈ ${preview.approximateTokens} of ${preview.tokenBudget} tokens. Each turn adds memories, knowledge and history.`;
        output.classList.remove('stale');
        replaceChildren(
          leftOut,
          preview.leftOut.length === 0
            ? null
            : [
                el('h3', {}, `Left out of the prompt (${preview.leftOut.length})`),
                el('ul', { class: 'small' }, preview.leftOut.map((left) => el('li', {}, `${left.part}: ≈ ${left.tokens} tokens, ${left.reason}`))),
              ],
        );
      } catch (error) {
        output.textContent = `Preview unavailable: ${(error as Error).message}`;
      }
    }, 250);
  };
}

export function renderStudio(main: HTMLElement, personaId: string | null, account: Account | null): () => void {
  const mine = el('ul', { class: 'plain', 'aria-label': 'Your personas' });
  const status = statusLine();
  const editorSlot = el('div');
  const preview = el('pre', { class: 'preview', 'data-testid': 'prompt-preview', tabindex: 0, 'aria-label': 'Model input preview' });
  const sampleMessage = el('input', { type: 'text', placeholder: 'a message that mentions a lorebook key' });
  applyMessageLimit(sampleMessage, 'maxSampleMessageChars');
  const leftOut = el('div', { 'data-testid': 'left-out' });
  const updatePreview = livePreview(preview, leftOut, sampleMessage);
  let currentDraft: Draft | null = null;
  sampleMessage.addEventListener('input', () => currentDraft && updatePreview(currentDraft));
  const extras = el('div');
  const testChat = el('div');
  let chatPane: ChatPane | null = null;
  let closeKnowledge: () => void = () => undefined;

  const loadMine = async () => {
    const page = await request<Page<Persona>>('GET', '/personas?mine=true&limit=100');
    replaceChildren(
      mine,
      el('li', {}, el('a', { href: '#/studio', 'aria-current': personaId ? null : 'page' }, '+ New persona')),
      page.items.map((persona) => el('li', {}, el('a', { href: `#/studio/${encodeURIComponent(persona.id)}`, 'aria-current': persona.id === personaId ? 'page' : null }, `${persona.definition.name} (v${persona.version}${persona.visibility === 'private' ? ', private' : ''})`))),
    );
  };

  /** `keep`: edits not saved yet, carried over when the persona gained a version meanwhile (a lorebook attached). */
  const mountEditor = (persona: Persona | null, models: string[], keep?: Draft) => {
    const draft = keep ?? (persona ? draftOf(persona) : emptyDraft(models[0] ?? 'synthetic'));
    currentDraft = draft;
    const refreshPreview = () => updatePreview(draft);
    const save = el('button', { type: 'submit' }, persona ? `Save as version ${persona.version + 1}` : 'Create persona');
    const form = el(
      'form',
      {
        class: 'card',
        'aria-label': persona ? `Edit ${persona.definition.name}` : 'New persona',
        onsubmit: async (event: Event) => {
          event.preventDefault();
          save.disabled = true;
          try {
            const { attachedLorebooks: _attached, ...fields } = draft;
            const body = {
              ...fields,
              // Only an edit can take a picture away; a new persona simply has none.
              avatar: draft.avatar === null && !persona ? undefined : draft.avatar,
              lorebook: draft.lorebook && draft.lorebook.entries.length === 0 && !persona?.definition.lorebook ? undefined : draft.lorebook,
            };
            const saved = persona
              ? await request<Persona>('PATCH', `/personas/${encodeURIComponent(persona.id)}`, body)
              : await request<Persona>('POST', '/personas', body);
            status.textContent = `Saved ${saved.definition.name}, version ${saved.version}.`;
            if (persona) mountPersona(saved, models);
            else navigate({ screen: 'studio', personaId: saved.id });
            void loadMine();
          } catch (error) {
            status.textContent = `Not saved: ${(error as Error).message}`;
          } finally {
            save.disabled = false;
          }
        },
      },
      el('h2', {}, persona ? `Edit ${persona.definition.name}` : 'New persona'),
      personaEditor(draft, models, refreshPreview),
      save,
    );
    replaceChildren(editorSlot, form);
    refreshPreview();
  };

  const lorebooksSlot = el('div');
  let lorebooks: LorebooksPanel | null = null;
  const mountLorebooks = (persona: Persona | null, models: string[]) => {
    const owned = persona && persona.ownerId === account?.id ? persona : null;
    lorebooks = lorebooksPanel(owned, () => {
      if (!owned) return;
      // Attaching or editing a book made a new version of this persona: show it.
      void request<Persona>('GET', `/personas/${encodeURIComponent(owned.id)}`)
        .then((fresh) => {
          // The creator's unsaved edits stay; only the attached books come from the new version.
          const keep = currentDraft ? { ...currentDraft, attachedLorebooks: fresh.definition.attachedLorebooks } : undefined;
          mountPersona(fresh, models, keep);
          void loadMine();
        })
        .catch((error: Error) => (status.textContent = error.message));
    });
    replaceChildren(lorebooksSlot, lorebooks.root);
  };

  const mountPersona = (persona: Persona | null, models: string[], keep?: Draft) => {
    mountEditor(persona, models, keep);
    mountLorebooks(persona, models);
    chatPane?.close();
    chatPane = null;
    if (!persona) {
      replaceChildren(extras);
      replaceChildren(testChat, el('p', { class: 'muted' }, 'Save the persona to try it in a test chat.'));
      return;
    }
    const isOwner = persona.ownerId === account?.id;
    closeKnowledge();
    const knowledge = isOwner ? knowledgePanel(persona) : null;
    closeKnowledge = () => knowledge?.close();
    replaceChildren(extras, knowledge?.root, exportPanel(persona), versionsPanel(persona), isOwner ? ratingsPanel(persona) : null);
    const start = el('button', { type: 'button', class: 'secondary' }, 'Start a test chat');
    start.addEventListener('click', async () => {
      start.disabled = true;
      try {
        const conversation = await request<Conversation>('POST', '/conversations', { personaId: persona.id });
        chatPane = mountChatPane(conversation.id, { compact: true });
        replaceChildren(testChat, chatPane.root);
      } catch (error) {
        start.disabled = false;
        status.textContent = (error as Error).message;
      }
    });
    replaceChildren(testChat, start);
  };

  replaceChildren(
    main,
    el('h1', {}, 'Creator studio'),
    status,
    el(
      'div',
      { class: 'studio' },
      el(
        'div',
        {},
        el('section', { class: 'card', 'aria-labelledby': 'mine-heading' }, el('h2', { id: 'mine-heading' }, 'Your personas'), mine),
        importPanel((imported) => {
          if (imported.kind === 'lorebook') void lorebooks?.refresh();
          else void loadMine();
        }),
        lorebooksSlot,
      ),
      el('div', {}, editorSlot, extras),
      el('div', {}, el('section', { class: 'card', 'aria-labelledby': 'preview-heading' }, el('h2', { id: 'preview-heading' }, 'Prompt preview'), field('Sample message', sampleMessage), preview, leftOut), el('section', { class: 'card', 'aria-labelledby': 'test-heading' }, el('h2', { id: 'test-heading' }, 'Test chat'), testChat)),
    ),
  );

  void (async () => {
    try {
      const [models, persona] = await Promise.all([
        request<{ id: string; kind: string }[]>('GET', '/models').then((list) => list.filter((model) => model.kind === 'chat').map((model) => model.id)),
        personaId ? request<Persona>('GET', `/personas/${encodeURIComponent(personaId)}`) : Promise.resolve(null),
      ]);
      mountPersona(persona, models);
      await loadMine();
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  })();
  return () => {
    chatPane?.close();
    closeKnowledge();
  };
}
