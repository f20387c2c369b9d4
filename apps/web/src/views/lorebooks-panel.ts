// Standalone lorebooks in the studio: your books, attached to or detached from the persona being edited, edited in
// place (attached personas get a new version), exported as SillyTavern World Info, deleted.
import { el, field, replaceChildren, statusLine } from '../dom';
import { download, request } from '../api';
import type { LorebookSummary, LorebookView, Persona } from '../types';
import { lorebookEditor } from './lorebook-editor';
import { textInput } from './form-controls';

export interface LorebooksPanel {
  root: HTMLElement;
  refresh: () => Promise<void>;
}

/** `persona`: the persona open in the studio (attach and detach act on it); `onPersonaChanged` after either. */
export function lorebooksPanel(persona: Persona | null, onPersonaChanged: () => void): LorebooksPanel {
  const status = statusLine();
  const list = el('ul', { class: 'plain', 'aria-label': 'Your lorebooks' });
  const editorSlot = el('div');

  const edit = async (lorebookId: string) => {
    const view = await request<LorebookView>('GET', `/lorebooks/${encodeURIComponent(lorebookId)}`);
    const book = view.book;
    const save = el('button', { type: 'submit' }, 'Save lorebook');
    const form = el(
      'form',
      {
        class: 'lorebook-form',
        'aria-label': `Edit lorebook ${book.name}`,
        onsubmit: async (event: Event) => {
          event.preventDefault();
          save.disabled = true;
          try {
            const saved = await request<LorebookView>('PUT', `/lorebooks/${encodeURIComponent(lorebookId)}`, book);
            status.textContent = `Saved ${saved.book.name}${saved.attachedTo.length > 0 ? `; ${saved.attachedTo.length} persona(s) carry the new entries in a new version` : ''}.`;
            await refresh();
            if (persona && saved.attachedTo.includes(persona.id)) onPersonaChanged();
          } catch (error) {
            status.textContent = `Not saved: ${(error as Error).message}`;
          } finally {
            save.disabled = false;
          }
        },
      },
      el('h3', {}, `Lorebook: ${book.name}`),
      field('Name', textInput(book.name, (value) => (book.name = value), { required: true, maxlength: 256 })),
      lorebookEditor(book, () => undefined),
      el('div', { class: 'row' }, save, el('button', { type: 'button', class: 'secondary', onclick: () => replaceChildren(editorSlot) }, 'Close')),
    );
    replaceChildren(editorSlot, form);
  };

  const act = async (what: string, work: () => Promise<unknown>, personaChanged = false) => {
    try {
      await work();
      status.textContent = what;
      await refresh();
      if (personaChanged) onPersonaChanged();
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  };

  const row = (book: LorebookSummary) => {
    const attached = persona ? book.attachedTo.includes(persona.id) : false;
    const path = `/lorebooks/${encodeURIComponent(book.id)}`;
    return el(
      'li',
      { 'data-testid': 'lorebook' },
      el('strong', {}, book.name),
      ` · ${book.entryCount} entries · attached to ${book.attachedTo.length} persona(s) `,
      el(
        'div',
        { class: 'row' },
        persona && persona.ownerId
          ? el(
              'button',
              {
                type: 'button',
                class: 'small secondary',
                onclick: () =>
                  void act(
                    attached ? `Detached ${book.name}.` : `Attached ${book.name} to ${persona.definition.name}.`,
                    () => request(attached ? 'DELETE' : 'POST', `${path}/personas/${encodeURIComponent(persona.id)}`),
                    true,
                  ),
              },
              attached ? `Detach from ${persona.definition.name}` : `Attach to ${persona.definition.name}`,
            )
          : null,
        el('button', { type: 'button', class: 'small secondary', onclick: () => void edit(book.id).catch((error: Error) => (status.textContent = error.message)) }, 'Edit'),
        el('button', { type: 'button', class: 'small secondary', onclick: () => void download(`${path}/export`, `${book.name}.json`).catch((error: Error) => (status.textContent = error.message)) }, 'Export (SillyTavern)'),
        el(
          'button',
          {
            type: 'button',
            class: 'small secondary',
            onclick: () => {
              if (confirm(`Delete the lorebook ${book.name}? Personas that carry it get a new version without it.`)) void act(`Deleted ${book.name}.`, () => request('DELETE', path), attached);
            },
          },
          'Delete',
        ),
      ),
    );
  };

  const refresh = async () => {
    const books = await request<LorebookSummary[]>('GET', '/lorebooks');
    replaceChildren(list, books.length === 0 ? el('li', { class: 'muted' }, 'None yet: import a World Info file above.') : books.map(row));
  };
  void refresh().catch((error: Error) => (status.textContent = error.message));
  return {
    root: el('section', { class: 'card', 'aria-labelledby': 'lorebooks-heading' }, el('h2', { id: 'lorebooks-heading' }, 'Lorebooks'), list, status, editorSlot),
    refresh,
  };
}
