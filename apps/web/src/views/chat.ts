// The consumer chat view: the conversation with a persona, and the memory panel beside it.
import { el, replaceChildren } from '../dom';
import { request } from '../api';
import { navigate } from '../router';
import type { Conversation, Persona } from '../types';
import { avatarImage } from './avatar';
import { mountChatPane } from './chat-pane';
import { memoryPanel } from './memory-panel';

export function renderChat(main: HTMLElement, conversationId: string): () => void {
  const pane = mountChatPane(conversationId);
  const heading = el('h1', { class: 'chat-title' }, 'Chat');
  const side = el('div', { class: 'side' });
  const remove = el('button', { type: 'button', class: 'small secondary' }, 'Delete this conversation');
  remove.addEventListener('click', async () => {
    if (!confirm('Delete this conversation, its messages, receipts and the memories made from it?')) return;
    await request('DELETE', `/conversations/${encodeURIComponent(conversationId)}`)
      .then(() => navigate({ screen: 'gallery' }))
      .catch((error: Error) => side.prepend(el('p', { class: 'error', role: 'alert' }, error.message)));
  });
  replaceChildren(main, el('p', {}, el('a', { href: '#/' }, '← All personas')), heading, el('div', { class: 'chat-layout' }, pane.root, el('div', {}, side, remove)));
  void request<Conversation>('GET', `/conversations/${encodeURIComponent(conversationId)}`)
    .then((conversation) => {
      heading.textContent = `Chat with ${conversation.personaName}`;
      document.title = `${conversation.personaName} · Doppel`;
      void request<Persona>('GET', `/personas/${encodeURIComponent(conversation.personaId)}`)
        .then((persona) => replaceChildren(heading, avatarImage(persona.definition, 'thumbnail', 'avatar chat-avatar'), el('span', {}, `Chat with ${conversation.personaName}`)))
        .catch(() => undefined);
      const memories = memoryPanel(conversation.personaId);
      side.append(memories.root);
      pane.onReplyDone = () => void memories.refresh().catch(() => undefined);
      return memories.refresh();
    })
    .catch((error: Error) => side.append(el('p', { class: 'error', role: 'alert' }, error.message)));
  return () => pane.close();
}
