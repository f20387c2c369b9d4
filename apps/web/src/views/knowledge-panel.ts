// A persona's knowledge documents (creators): upload text or Markdown, watch indexing, delete.
import { el, field, replaceChildren, statusLine, uniqueId } from '../dom';
import { request } from '../api';
import type { KnowledgeDocument, Persona } from '../types';

const POLL_MS = 1500;

export function knowledgePanel(persona: Persona): { root: HTMLElement; close: () => void } {
  const base = `/personas/${encodeURIComponent(persona.id)}/knowledge`;
  const status = statusLine();
  const list = el('ul', { class: 'plain', 'aria-label': 'Knowledge documents' });
  const title = el('input', { type: 'text', maxlength: 1000 });
  const content = el('textarea', { rows: 4 });
  const picker = el('input', { type: 'file', accept: '.md,.markdown,.txt,text/markdown,text/plain', id: uniqueId('knowledge-file') });
  let poll: ReturnType<typeof setTimeout> | null = null;

  const refresh = async () => {
    if (poll) clearTimeout(poll);
    const documents = await request<KnowledgeDocument[]>('GET', base);
    replaceChildren(
      list,
      documents.length === 0
        ? el('li', { class: 'muted' }, 'No documents yet.')
        : documents.map((document) => {
            const remove = el('button', { type: 'button', class: 'small secondary', 'aria-label': `Delete ${document.title}` }, 'Delete');
            remove.addEventListener('click', async () => {
              remove.disabled = true;
              await request('DELETE', `${base}/${encodeURIComponent(document.id)}`).catch((error: Error) => (status.textContent = error.message));
              await refresh().catch(() => undefined);
            });
            const state = document.status === 'ready' ? `ready, ${document.chunkCount} chunks` : document.status === 'failed' ? `failed: ${document.error ?? 'unknown'}` : 'indexing…';
            return el('li', { 'data-testid': 'knowledge-document' }, el('strong', {}, document.title), ' ', el('span', { class: 'small muted' }, `${document.mediaType} · ${document.bytes} bytes · ${state}`), ' ', remove);
          }),
    );
    // Indexing happens on a worker; look again until every document has settled.
    if (documents.some((document) => document.status === 'pending')) poll = setTimeout(() => void refresh().catch(() => undefined), POLL_MS);
  };

  const upload = async (document: { title: string; mediaType: string; content: string }) => {
    try {
      await request('POST', base, document);
      status.textContent = `Added “${document.title}”; indexing.`;
      await refresh();
    } catch (error) {
      status.textContent = `Not added: ${(error as Error).message}`;
    }
  };

  picker.addEventListener('change', async () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (!file) return;
    await upload({ title: file.name, mediaType: /\.txt$/i.test(file.name) ? 'text/plain' : 'text/markdown', content: await file.text() });
  });
  const paste = el(
    'form',
    {
      onsubmit: (event: Event) => {
        event.preventDefault();
        if (!title.value.trim() || !content.value.trim()) return;
        void upload({ title: title.value.trim(), mediaType: 'text/markdown', content: content.value }).then(() => {
          title.value = '';
          content.value = '';
        });
      },
    },
    field('Title', title),
    field('Markdown', content),
    el('button', { type: 'submit', class: 'small' }, 'Add document'),
  );
  void refresh().catch((error: Error) => (status.textContent = error.message));
  const root = el(
    'section',
    { class: 'card', 'aria-labelledby': 'knowledge-heading' },
    el('h2', { id: 'knowledge-heading' }, 'Knowledge'),
    list,
    el('div', { class: 'field' }, el('label', { for: picker.id }, 'Upload a .md or .txt file'), picker),
    paste,
    status,
  );
  return { root, close: () => poll && clearTimeout(poll) };
}
