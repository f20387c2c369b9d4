// The creator's form over every field of a persona definition, with its picture and lorebook, calling onChange on
// each edit.
import { el, field, replaceChildren, statusLine } from '../dom';
import type { PersonaDefinition, VerificationLevel } from '../types';
import { avatarImage, uploadAvatar } from './avatar';
import { lines, commaList, levelPicker, numberInput, select, textArea, textInput } from './form-controls';
import { lorebookEditor, newLoreEntry } from './lorebook-editor';

/** `avatar: null` asks the server to take the picture away. */
export type Draft = Omit<PersonaDefinition, 'avatar'> & { avatar?: string | null; visibility: 'public' | 'private' };

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

function pictureField(draft: Draft, onChange: () => void): HTMLElement {
  const status = statusLine();
  const current = el('div', { class: 'avatar-slot' });
  const picker = el('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp' });
  const remove = el('button', { type: 'button', class: 'small secondary' }, 'Remove picture');
  const show = () => {
    replaceChildren(current, avatarImage({ name: draft.name || '?', avatar: draft.avatar ?? undefined }, 'thumbnail', 'avatar studio-avatar'));
    remove.hidden = !draft.avatar;
  };
  picker.addEventListener('change', async () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (!file) return;
    status.textContent = `Uploading ${file.name}…`;
    try {
      draft.avatar = (await uploadAvatar(file)).hash;
      status.textContent = 'Picture uploaded; save to keep it.';
      show();
      onChange();
    } catch (error) {
      status.textContent = `Not uploaded: ${(error as Error).message}`;
    }
  });
  remove.addEventListener('click', () => {
    draft.avatar = null;
    status.textContent = 'Picture removed; save to keep the change.';
    show();
    onChange();
  });
  show();
  return el('div', { class: 'picture-field' }, current, el('div', {}, field('Picture (PNG, JPEG or WebP)', picker), remove, status));
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
    if (!draft.lorebook) {
      replaceChildren(lore, el('button', { type: 'button', class: 'small secondary', onclick: () => changed(() => { draft.lorebook = { scanDepth: 4, tokenBudget: 512, entries: [newLoreEntry()] }; renderLore(); }) }, 'Start a lorebook'));
      return;
    }
    replaceChildren(lore, lorebookEditor(draft.lorebook, onChange));
  };
  renderLore();

  const generation = draft.generation;
  const modelOptions = models.includes(draft.defaultModel) ? models : [draft.defaultModel, ...models];
  const attached = draft.attachedLorebooks ?? [];
  return el(
    'div',
    { class: 'editor' },
    pictureField(draft, onChange),
    field('Name', textInput(draft.name, (value) => changed(() => (draft.name = value)), { required: true, maxlength: 80 })),
    field('Description', textArea(draft.description, (value) => changed(() => (draft.description = value)), 4)),
    field('Personality', textArea(draft.personality, (value) => changed(() => (draft.personality = value)), 3)),
    field('System prompt', textArea(draft.systemPrompt, (value) => changed(() => (draft.systemPrompt = value)), 5), 'empty: “You are <name>. Stay in character.”'),
    field('Greeting', textArea(draft.greeting, (value) => changed(() => (draft.greeting = value)), 2)),
    field('Scenario', textArea(draft.scenario ?? '', (value) => changed(() => (draft.scenario = value)), 2), 'the situation the conversation starts in'),
    field('Post-history instructions', textArea(draft.postHistoryInstructions ?? '', (value) => changed(() => (draft.postHistoryInstructions = value)), 2), 'placed after the chat history, just before the new message'),
    field('Alternate greetings', textArea((draft.alternateGreetings ?? []).join('\n'), (value) => changed(() => (draft.alternateGreetings = lines(value))), 3), 'one per line'),
    field('Tags', textInput(draft.tags.join(', '), (value) => changed(() => (draft.tags = commaList(value).map((tag) => tag.toLowerCase())))), 'comma-separated'),
    el(
      'div',
      { class: 'row' },
      field('Visibility', select(['public', 'private'] as const, draft.visibility, (value) => changed(() => (draft.visibility = value)))),
      field('Model', select(modelOptions, draft.defaultModel, (value) => changed(() => (draft.defaultModel = value)))),
      levelPicker('Minimum verification', draft.minVerification, (value) => changed(() => (draft.minVerification = value as VerificationLevel))).root,
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
    field('Stop sequences', textArea(generation.stop.join('\n'), (value) => changed(() => (generation.stop = lines(value))), 2, 640), 'one per line'),
    el('h3', {}, 'Example exchanges'),
    dialogues,
    el('h3', {}, 'Lorebook'),
    lore,
    attached.length > 0 ? el('p', { class: 'small muted' }, `Attached lorebooks (edit them under Lorebooks): ${attached.map((book) => `${book.name} (${book.entries.length} entries)`).join(', ')}`) : null,
    el('h3', {}, 'Card details'),
    el('p', { class: 'small muted' }, 'For readers of the card; never part of a prompt. Exports write them back.'),
    el(
      'div',
      { class: 'row' },
      field('Creator', textInput(draft.creator ?? '', (value) => changed(() => (draft.creator = value || undefined)), { maxlength: 256 })),
      field('Version', textInput(draft.characterVersion ?? '', (value) => changed(() => (draft.characterVersion = value || undefined)), { maxlength: 256 })),
      field('Nickname', textInput(draft.nickname ?? '', (value) => changed(() => (draft.nickname = value || undefined)), { maxlength: 256 })),
    ),
    field('Creator notes', textArea(draft.creatorNotes ?? '', (value) => changed(() => (draft.creatorNotes = value || undefined)), 3)),
  );
}
