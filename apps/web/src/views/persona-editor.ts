// The creator's form over every field of a persona definition, with the lorebook, calling onChange on each edit.
import { el, field, replaceChildren, uniqueId } from '../dom';
import type { LorebookEntry, PersonaDefinition, VerificationLevel } from '../types';

export type Draft = PersonaDefinition & { visibility: 'public' | 'private' };

export function emptyDraft(defaultModel: string): Draft {
  return {
    name: '',
    description: '',
    personality: '',
    systemPrompt: '',
    greeting: '',
    alternateGreetings: [],
    exampleDialogues: [],
    tags: [],
    defaultModel,
    generation: { maxTokens: 256, temperature: 0.8, topP: 0.95, topK: 40, repetitionPenalty: 1.1, stop: [] },
    minVerification: 'none',
    visibility: 'public',
  };
}

const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const commaList = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean);

function textInput(value: string, onInput: (value: string) => void, attributes: Record<string, string | number | boolean> = {}): HTMLInputElement {
  const input = el('input', { type: 'text', value, ...attributes });
  input.addEventListener('input', () => onInput(input.value));
  return input;
}

function textArea(value: string, onInput: (value: string) => void, rows = 3, maxlength?: number): HTMLTextAreaElement {
  const area = el('textarea', { rows, maxlength });
  area.value = value;
  area.addEventListener('input', () => onInput(area.value));
  return area;
}

function numberInput(value: number, onInput: (value: number) => void, attributes: { min: number; max: number; step: number }): HTMLInputElement {
  const input = el('input', { type: 'number', value, ...attributes });
  input.addEventListener('input', () => {
    if (input.value !== '' && Number.isFinite(Number(input.value))) onInput(Number(input.value));
  });
  return input;
}

function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const id = uniqueId('check');
  const input = el('input', { type: 'checkbox', id, checked });
  input.addEventListener('change', () => onChange(input.checked));
  return el('label', { for: id }, input, label);
}

function select<T extends string>(options: readonly T[], value: T, onChange: (value: T) => void): HTMLSelectElement {
  const control = el('select', {}, options.map((option) => el('option', { value: option, selected: option === value }, option)));
  control.addEventListener('change', () => onChange(control.value as T));
  return control;
}

function newLoreEntry(): LorebookEntry {
  return { keys: [], secondaryKeys: [], content: '', caseSensitive: false, useRegex: false, insertionOrder: 100, enabled: true, constant: false };
}

export function personaEditor(draft: Draft, models: string[], onChange: () => void): HTMLElement {
  const changed = (apply: () => void) => {
    apply();
    onChange();
  };

  const dialogues = el('div');
  const renderDialogues = () =>
    replaceChildren(
      dialogues,
      draft.exampleDialogues.map((dialogue, index) =>
        el(
          'fieldset',
          { class: 'lore-entry' },
          el('legend', {}, `Example ${index + 1}`),
          field('User says', textArea(dialogue.user, (value) => changed(() => (dialogue.user = value)), 2)),
          field(`${draft.name || 'Persona'} answers`, textArea(dialogue.persona, (value) => changed(() => (dialogue.persona = value)), 2)),
          el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { draft.exampleDialogues.splice(index, 1); renderDialogues(); }) }, `Remove example ${index + 1}`),
        ),
      ),
      el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { draft.exampleDialogues.push({ user: '', persona: '' }); renderDialogues(); }) }, 'Add an example exchange'),
    );
  renderDialogues();

  const lore = el('div');
  const renderLore = () => {
    const book = draft.lorebook;
    if (!book) {
      replaceChildren(lore, el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { draft.lorebook = { scanDepth: 4, tokenBudget: 512, entries: [newLoreEntry()] }; renderLore(); }) }, 'Start a lorebook'));
      return;
    }
    replaceChildren(
      lore,
      el(
        'div',
        { class: 'row' },
        field('Scan depth (messages)', numberInput(book.scanDepth, (value) => changed(() => (book.scanDepth = value)), { min: 1, max: 50, step: 1 })),
        field('Token budget', numberInput(book.tokenBudget, (value) => changed(() => (book.tokenBudget = value)), { min: 16, max: 4096, step: 1 })),
      ),
      book.entries.map((entry, index) =>
        el(
          'fieldset',
          { class: 'lore-entry', 'data-testid': 'lore-entry' },
          el('legend', {}, `Entry ${index + 1}`),
          field('Keys', textInput(entry.keys.join(', '), (value) => changed(() => (entry.keys = commaList(value)))), 'comma-separated; any one triggers the entry'),
          field('Secondary keys', textInput(entry.secondaryKeys.join(', '), (value) => changed(() => (entry.secondaryKeys = commaList(value)))), 'optional; one of these must match too'),
          field('Content', textArea(entry.content, (value) => changed(() => (entry.content = value)), 3, 4000)),
          el(
            'div',
            { class: 'row' },
            field('Insertion order', numberInput(entry.insertionOrder, (value) => changed(() => (entry.insertionOrder = value)), { min: -10000, max: 10000, step: 1 }), 'lower goes first'),
          ),
          el(
            'div',
            { class: 'checks' },
            checkbox('enabled', entry.enabled, (value) => changed(() => (entry.enabled = value))),
            checkbox('always on (constant)', entry.constant, (value) => changed(() => (entry.constant = value))),
            checkbox('case-sensitive', entry.caseSensitive, (value) => changed(() => (entry.caseSensitive = value))),
            checkbox('keys are regular expressions', entry.useRegex, (value) => changed(() => (entry.useRegex = value))),
          ),
          el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { book.entries.splice(index, 1); renderLore(); }) }, `Remove entry ${index + 1}`),
        ),
      ),
      el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { book.entries.push(newLoreEntry()); renderLore(); }) }, 'Add a lorebook entry'),
    );
  };
  renderLore();

  const generation = draft.generation;
  const modelOptions = models.includes(draft.defaultModel) ? models : [draft.defaultModel, ...models];
  return el(
    'div',
    { class: 'editor' },
    field('Name', textInput(draft.name, (value) => changed(() => (draft.name = value)), { required: true, maxlength: 80 })),
    field('Description', textArea(draft.description, (value) => changed(() => (draft.description = value)), 3, 2000)),
    field('Personality', textArea(draft.personality, (value) => changed(() => (draft.personality = value)), 3, 2000)),
    field('System prompt', textArea(draft.systemPrompt, (value) => changed(() => (draft.systemPrompt = value)), 5, 8000), 'empty: “You are <name>. Stay in character.”'),
    field('Greeting', textArea(draft.greeting, (value) => changed(() => (draft.greeting = value)), 2, 2000)),
    field('Scenario', textArea(draft.scenario ?? '', (value) => changed(() => (draft.scenario = value)), 2, 2000), 'the situation the conversation starts in'),
    field('Post-history instructions', textArea(draft.postHistoryInstructions ?? '', (value) => changed(() => (draft.postHistoryInstructions = value)), 2, 2000), 'placed after the chat history, just before the new message'),
    field('Alternate greetings', textArea((draft.alternateGreetings ?? []).join('\n'), (value) => changed(() => (draft.alternateGreetings = lines(value))), 3), 'one per line'),
    field('Tags', textInput(draft.tags.join(', '), (value) => changed(() => (draft.tags = commaList(value).map((tag) => tag.toLowerCase())))), 'comma-separated'),
    el(
      'div',
      { class: 'row' },
      field('Visibility', select(['public', 'private'] as const, draft.visibility, (value) => changed(() => (draft.visibility = value)))),
      field('Model', select(modelOptions, draft.defaultModel, (value) => changed(() => (draft.defaultModel = value)))),
      field('Minimum verification', select(['none', 'signed', 'reexec', 'signed+reexec'] as VerificationLevel[], draft.minVerification, (value) => changed(() => (draft.minVerification = value)))),
    ),
    el('h3', {}, 'Generation'),
    el(
      'div',
      { class: 'row' },
      field('Max tokens', numberInput(generation.maxTokens, (value) => changed(() => (generation.maxTokens = value)), { min: 1, max: 4096, step: 1 })),
      field('Temperature', numberInput(generation.temperature, (value) => changed(() => (generation.temperature = value)), { min: 0, max: 2, step: 0.05 })),
      field('Top p', numberInput(generation.topP, (value) => changed(() => (generation.topP = value)), { min: 0.01, max: 1, step: 0.01 })),
      field('Top k', numberInput(generation.topK, (value) => changed(() => (generation.topK = value)), { min: 0, max: 1000, step: 1 })),
      field('Repetition penalty', numberInput(generation.repetitionPenalty, (value) => changed(() => (generation.repetitionPenalty = value)), { min: 1, max: 2, step: 0.05 })),
    ),
    field('Stop sequences', textArea(generation.stop.join('\n'), (value) => changed(() => (generation.stop = lines(value))), 2), 'one per line'),
    el('h3', {}, 'Example exchanges'),
    dialogues,
    el('h3', {}, 'Lorebook'),
    lore,
  );
}
