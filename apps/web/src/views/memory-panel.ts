// What a persona remembers about the signed-in user, with a delete button per memory.
import { el, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import type { Memory, MemoryKind, MemoryPage } from '../types';

const KIND_LABELS: Record<MemoryKind, string> = { assistant_reply: 'they said', user_message: 'you said', fact: 'a fact about you' };

export function memoryPanel(personaId: string): { root: HTMLElement; refresh: () => Promise<void> } {
  const list = el('ul', { class: 'plain memories' });
  const status = statusLine();
  let recheck: ReturnType<typeof setTimeout> | null = null;
  let rechecks = 0;
  const refresh = async (): Promise<void> => {
    if (recheck) clearTimeout(recheck);
    recheck = null;
    const page = await request<MemoryPage>('GET', `/personas/${encodeURIComponent(personaId)}/memories?limit=50`);
    // A reply's memories are written just after it: look again while some are on their way.
    rechecks = page.pendingWrites ? rechecks + 1 : 0;
    if (page.pendingWrites && rechecks <= 20) recheck = setTimeout(() => void refresh().catch(() => undefined), 250);
    replaceChildren(
      list,
      page.items.length === 0
        ? el('li', { class: 'muted' }, 'Nothing remembered yet.')
        : page.items.map((memory) => {
            const remove = el('button', { type: 'button', class: 'small secondary', 'aria-label': `Forget: ${memory.content.slice(0, 60)}` }, 'Forget');
            const pin = el('button', { type: 'button', class: 'small secondary', 'aria-pressed': String(!!memory.pinned), 'aria-label': `Pin: ${memory.content.slice(0, 60)}` }, memory.pinned ? 'Pinned' : 'Pin');
            pin.addEventListener('click', async () => {
              try {
                const updated = await request<Memory>('PATCH', `/memories/${encodeURIComponent(memory.id)}`, { pinned: !memory.pinned });
                memory.pinned = !!updated.pinned;
                pin.setAttribute('aria-pressed', String(memory.pinned));
                pin.textContent = memory.pinned ? 'Pinned' : 'Pin';
                status.textContent = memory.pinned ? 'Pinned: it goes into every prompt of this persona.' : 'Unpinned.';
              } catch (error) {
                status.textContent = (error as Error).message;
              }
            });
            const item = el('li', {}, el('span', { class: 'small muted' }, KIND_LABELS[memory.kind] ?? memory.kind), el('p', {}, memory.content), el('div', { class: 'row' }, pin, remove));
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
  const forgetAll = el('button', { type: 'button', class: 'small secondary' }, 'Forget everything');
  forgetAll.addEventListener('click', async () => {
    if (!confirm('Make this persona forget everything about you?')) return;
    try {
      const { deleted } = await request<{ deleted: number }>('DELETE', `/personas/${encodeURIComponent(personaId)}/memories`);
      status.textContent = `Forgot ${deleted} memories.`;
      await refresh();
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  });
  const reload = el('button', { type: 'button', class: 'small secondary' }, 'Refresh');
  reload.addEventListener('click', () => void refresh().catch((error: Error) => (status.textContent = error.message)));
  const root = el('aside', { class: 'card memory-panel', 'aria-labelledby': 'memory-heading' }, el('h2', { id: 'memory-heading' }, 'What they remember'), el('div', { class: 'row' }, reload, forgetAll), status, list);
  return { root, refresh };
}
