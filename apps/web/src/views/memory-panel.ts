// What a persona remembers about the signed-in user, with a delete button per memory.
import { el, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import type { Memory, Page } from '../types';

export function memoryPanel(personaId: string): { root: HTMLElement; refresh: () => Promise<void> } {
  const list = el('ul', { class: 'plain memories' });
  const status = statusLine();
  const refresh = async () => {
    const page = await request<Page<Memory>>('GET', `/personas/${encodeURIComponent(personaId)}/memories?limit=50`);
    replaceChildren(
      list,
      page.items.length === 0
        ? el('li', { class: 'muted' }, 'Nothing remembered yet.')
        : page.items.map((memory) => {
            const remove = el('button', { type: 'button', class: 'small secondary', 'aria-label': `Forget: ${memory.content.slice(0, 60)}` }, 'Forget');
            const item = el('li', {}, el('span', { class: 'small muted' }, memory.kind === 'assistant_reply' ? 'they said' : 'you said'), el('p', {}, memory.content), remove);
            remove.addEventListener('click', async () => {
              remove.disabled = true;
              try {
                await request('DELETE', `/memories/${encodeURIComponent(memory.id)}`);
                item.remove();
                status.textContent = 'Forgotten.';
              } catch (error) {
                remove.disabled = false;
                status.textContent = (error as Error).message;
              }
            });
            return item;
          }),
    );
  };
  const reload = el('button', { type: 'button', class: 'small secondary' }, 'Refresh');
  reload.addEventListener('click', () => void refresh().catch((error: Error) => (status.textContent = error.message)));
  const root = el('aside', { class: 'card memory-panel', 'aria-labelledby': 'memory-heading' }, el('h2', { id: 'memory-heading' }, 'What they remember'), reload, status, list);
  return { root, refresh };
}
