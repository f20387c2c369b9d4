// One conversation: history, a composer, replies streamed token by token, ratings and receipts per reply.
// Used full-page by the consumer chat view and small by the studio's test-chat pane.
import type { TurnDoneEvent, TurnVerification } from '@doppel/protocol';
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { renderMarkdown } from '../markdown';
import { apiKey } from '../session';
import { ChatConnection } from '../chat-connection';
import type { Message, Page, VerificationLevel } from '../types';
import { receiptBadge } from './receipt-badge';

interface ReplyView {
  root: HTMLElement;
  setText(text: string): void;
  finish(messageId: string, turnId: string, verification: TurnVerification | null, replyText: string): void;
  fail(message: string): void;
}

export interface ChatPane {
  root: HTMLElement;
  /** Called after each finished reply (the memory panel refreshes on it). */
  onReplyDone: (event: TurnDoneEvent) => void;
  close(): void;
}

function ratingControl(conversationId: string, messageId: string): HTMLElement {
  const status = el('span', { class: 'small muted', role: 'status', 'aria-live': 'polite' });
  const group = el('div', { class: 'rating', role: 'group', 'aria-label': 'Rate this reply' });
  for (let score = 1; score <= 5; score++) {
    const button = el('button', { type: 'button', class: 'star', 'aria-label': `Rate ${score} of 5`, 'aria-pressed': 'false' }, '★');
    button.addEventListener('click', async () => {
      try {
        await request('POST', `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/rating`, { score });
        group.querySelectorAll('button').forEach((star, index) => {
          star.setAttribute('aria-pressed', String(index + 1 === score));
          star.classList.toggle('on', index < score);
        });
        status.textContent = `Rated ${score} of 5`;
      } catch (error) {
        status.textContent = (error as Error).message;
      }
    });
    group.append(button);
  }
  return el('div', { class: 'rating-row' }, group, status);
}

function messageElement(role: 'user' | 'assistant', text: string): { root: HTMLElement; body: HTMLElement; footer: HTMLElement } {
  const body = el('div', { class: 'body' });
  // Only escaped text becomes HTML here: renderMarkdown escapes all of it before adding its own tags.
  body.innerHTML = renderMarkdown(text);
  const footer = el('div', { class: 'footer' });
  const root = el('li', { class: `message ${role}` }, el('span', { class: 'visually-hidden' }, role === 'user' ? 'You said:' : 'Reply:'), body, footer);
  return { root, body, footer };
}

export function mountChatPane(conversationId: string, options: { compact?: boolean } = {}): ChatPane {
  const log = el('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite' });
  const connection = el('span', { class: 'connection', role: 'status' }, 'connecting…');
  const status = statusLine();
  const input = el('textarea', { rows: options.compact ? 2 : 3, maxlength: 4000, placeholder: 'Write a message (Enter sends, Shift+Enter for a new line)' });
  const verification = el(
    'select',
    {},
    (['none', 'signed', 'reexec', 'signed+reexec'] as VerificationLevel[]).map((level) => el('option', { value: level }, level)),
  );
  const send = el('button', { type: 'submit' }, 'Send');
  const older = el('button', { type: 'button', class: 'secondary small', hidden: true }, 'Older messages');
  let olderCursor: string | null = null;
  let busy = false;

  const pane: ChatPane = { root: el('div'), onReplyDone: () => undefined, close: () => chat.close() };
  const chat = new ChatConnection(apiKey() ?? '', (state, detail) => {
    connection.textContent = state === 'online' ? 'online' : state === 'connecting' ? 'connecting…' : `reconnecting…${detail ? ` (${detail})` : ''}`;
    connection.className = `connection ${state}`;
  });

  const addReply = (initialText: string): ReplyView => {
    const { root, body, footer } = messageElement('assistant', initialText);
    return {
      root,
      setText(text) {
        body.innerHTML = renderMarkdown(text);
        root.classList.remove('pending');
      },
      finish(messageId, turnId, proof, replyText) {
        root.dataset.messageId = messageId;
        root.classList.remove('pending', 'streaming');
        replaceChildren(footer, ratingControl(conversationId, messageId), proof ? receiptBadge(proof, { turnId, conversationId, replyText }) : null);
      },
      fail(message) {
        root.classList.remove('pending', 'streaming');
        root.classList.add('failed');
        replaceChildren(footer, el('span', { class: 'error', role: 'alert' }, message));
      },
    };
  };

  /** History: assistant replies with a turn get their receipt on demand (GET /turns/:id). */
  const historyMessage = (message: Message): HTMLElement => {
    const { root, footer } = messageElement(message.role, message.content);
    root.dataset.messageId = message.id;
    // The greeting has no turn: nothing to rate and no receipt.
    if (message.role === 'assistant' && message.turnId) {
      footer.append(ratingControl(conversationId, message.id));
      {
        const turnId = message.turnId;
        const show = el('button', { type: 'button', class: 'small link' }, 'Receipt');
        show.addEventListener('click', async () => {
          const turn = await request<{ done?: TurnDoneEvent }>('GET', `/turns/${encodeURIComponent(turnId)}`).catch(() => null);
          const proof = turn?.done?.verification;
          show.replaceWith(proof ? receiptBadge(proof, { turnId, conversationId, replyText: message.content }) : el('span', { class: 'small muted' }, 'no receipt (verification none)'));
        });
        footer.append(show);
      }
    }
    return root;
  };

  const loadHistory = async (before?: string) => {
    const page = await request<Page<Message>>('GET', `/conversations/${encodeURIComponent(conversationId)}/messages?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}`);
    const items = page.items.map(historyMessage);
    if (before) log.prepend(...items);
    else log.append(...items);
    olderCursor = page.nextCursor;
    older.hidden = !olderCursor;
    if (!before) log.lastElementChild?.scrollIntoView({ block: 'end' });
  };

  const submit = async () => {
    const text = input.value.trim();
    if (!text || busy) return;
    busy = true;
    send.disabled = true;
    log.append(messageElement('user', text).root);
    const reply = addReply('');
    reply.root.classList.add('pending');
    const typing = el('span', { class: 'typing' }, 'sending…');
    reply.root.querySelector('.footer')!.append(typing);
    log.append(reply.root);
    log.setAttribute('aria-busy', 'true');
    input.value = '';
    const settle = () => {
      busy = false;
      send.disabled = false;
      log.removeAttribute('aria-busy');
      input.focus();
    };
    const ack = await chat.send(conversationId, text, verification.value as VerificationLevel, {
      onQueued: () => (typing.textContent = 'queued…'),
      onText: (soFar) => {
        typing.textContent = 'typing…';
        reply.root.classList.add('streaming');
        reply.setText(soFar);
        reply.root.scrollIntoView({ block: 'end' });
      },
      onRestarted: (attempt) => {
        typing.textContent = `a node failed; attempt ${attempt} restarting…`;
        reply.setText('');
      },
      onDone: (event) => {
        // What is shown is what the receipt must sign: the final text (equal to the concatenated chunks).
        reply.setText(event.text);
        reply.finish(event.messageId, event.turnId, event.verification, event.text);
        status.textContent = `Reply in ${event.timings.totalMs ?? '?'} ms (${event.usage.completionTokens} tokens).`;
        settle();
        pane.onReplyDone(event);
      },
      onError: (error) => {
        reply.fail(`${error.code}: ${error.message}`);
        settle();
      },
    });
    if (ack.ok && ack.verification !== verification.value) status.textContent = `This persona requires ${ack.verification}.`;
  };

  const form = el(
    'form',
    {
      class: 'composer',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void submit();
      },
    },
    field('Message', input),
    el('div', { class: 'composer-actions' }, field('Verification', verification), send),
  );
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });
  older.addEventListener('click', () => void (olderCursor && loadHistory(olderCursor)));
  const drop = el('button', { type: 'button', class: 'small link', title: 'Cut the connection; the reply resumes where it was' }, 'Simulate a network drop');
  drop.addEventListener('click', () => chat.dropConnection());

  pane.root = el('div', { class: `chat-pane${options.compact ? ' compact' : ''}` }, el('div', { class: 'chat-status' }, connection, drop), older, log, form, status);
  void loadHistory().catch((error: Error) => (status.textContent = error.message));
  return pane;
}
