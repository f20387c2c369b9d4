// The form over a lorebook (a persona's own or a standalone one): scan depth, budget, and every entry.
import { el, field, replaceChildren } from '../dom';
import type { Lorebook, LorebookEntry } from '../types';
import { checkbox, commaList, numberInput, textArea, textInput } from './form-controls';

export function newLoreEntry(): LorebookEntry {
  return { keys: [], secondaryKeys: [], content: '', caseSensitive: false, useRegex: false, insertionOrder: 100, enabled: true, constant: false };
}

/** Roughly a token per four characters: enough to show which entries cannot fit a budget. */
const approximateTokens = (text: string) => Math.ceil(text.length / 4);

export function lorebookEditor(book: Lorebook, onChange: () => void): HTMLElement {
  const root = el('div', { class: 'lorebook-editor' });
  const changed = (apply: () => void) => {
    apply();
    onChange();
  };
  const render = () =>
    replaceChildren(
      root,
      el(
        'div',
        { class: 'row' },
        field('Scan depth (messages)', numberInput(book.scanDepth, (value) => changed(() => (book.scanDepth = value)), { min: 1, max: 50, step: 1 })),
        field('Token budget', numberInput(book.tokenBudget, (value) => changed(() => (book.tokenBudget = value)), { min: 16, max: 32768, step: 1 })),
      ),
      book.entries.map((entry, index) => {
        const size = el('small', { class: 'hint' });
        const showSize = () => {
          const tokens = approximateTokens(entry.content);
          size.textContent = `≈ ${tokens} tokens${tokens > book.tokenBudget ? ` — more than the book's budget of ${book.tokenBudget}: it cannot enter a prompt` : ''}`;
          size.classList.toggle('error', tokens > book.tokenBudget);
        };
        showSize();
        return el(
          'fieldset',
          { class: 'lore-entry', 'data-testid': 'lore-entry' },
          el('legend', {}, entry.name ? `Entry ${index + 1}: ${entry.name}` : `Entry ${index + 1}`),
          field('Entry title', textInput(entry.name ?? '', (value) => changed(() => (entry.name = value || undefined)), { maxlength: 256 }), 'for you; never part of a prompt'),
          field('Keys', textInput(entry.keys.join(', '), (value) => changed(() => (entry.keys = commaList(value)))), 'comma-separated; any one triggers the entry'),
          field('Secondary keys', textInput(entry.secondaryKeys.join(', '), (value) => changed(() => (entry.secondaryKeys = commaList(value)))), 'optional; one of these must match too'),
          field('Content', textArea(entry.content, (value) => changed(() => { entry.content = value; showSize(); }), 3)),
          size,
          el('div', { class: 'row' }, field('Insertion order', numberInput(entry.insertionOrder, (value) => changed(() => (entry.insertionOrder = value)), { min: -10000, max: 10000, step: 1 }), 'lower goes first')),
          el(
            'div',
            { class: 'checks' },
            checkbox('enabled', entry.enabled, (value) => changed(() => (entry.enabled = value))),
            checkbox('always on (constant)', entry.constant, (value) => changed(() => (entry.constant = value))),
            checkbox('case-sensitive', entry.caseSensitive, (value) => changed(() => (entry.caseSensitive = value))),
            checkbox('keys are regular expressions', entry.useRegex, (value) => changed(() => (entry.useRegex = value))),
          ),
          el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { book.entries.splice(index, 1); render(); }) }, `Remove entry ${index + 1}`),
        );
      }),
      el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { book.entries.push(newLoreEntry()); render(); }) }, 'Add a lorebook entry'),
    );
  render();
  return root;
}
