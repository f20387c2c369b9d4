// One conversation: history, a composer, replies streamed token by token, ratings and receipts per reply.
// Used full-page by the consumer chat view and small by the studio's test-chat pane.
import type { AlternativeReply, TurnDoneEvent, TurnSendAck, TurnVerification } from '@doppel/protocol';
import { append, el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { applyMessageLimit } from '../limits';
import { loadMarkdown, replyHtml } from '../reply-html';
import { apiKey } from '../session';
import { ChatConnection, type TurnListener } from '../chat-connection';
import type { Message, Page, VerificationLevel } from '../types';
import { receiptBadge } from './receipt-badge';
import { levelPicker } from './form-controls';

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

interface Entry {
  role: 'user' | 'assistant';
  id: string | null;
  turnId: string | null;
  content: string;
  alternatives: number;
  /** Which alternative is shown (1-based), once known. */
  position: number | null;
  root: HTMLElement;
  body: HTMLElement;
  footer: HTMLElement;
  /** Controls that only the latest message and reply carry (edit, regenerate). */
  latest: HTMLElement;
}

function messageEntry(role: 'user' | 'assistant', content: string): Entry {
  const body = el('div', { class: 'body' });
  // Only escaped text becomes HTML here: replyHtml escapes all of it before adding its own tags.
  body.innerHTML = replyHtml(content);
  const footer = el('div', { class: 'footer' });
  const latest = el('div', { class: 'footer latest' });
  const root = el('li', { class: `message ${role}` }, el('span', { class: 'visually-hidden' }, role === 'user' ? 'You said:' : 'Reply:'), body, footer, latest);
  return { role, id: null, turnId: null, content, alternatives: 1, position: null, root, body, footer, latest };
}

function setContent(entry: Entry, content: string): void {
  entry.content = content;
  entry.body.innerHTML = replyHtml(content);
}

export function mountChatPane(conversationId: string, options: { compact?: boolean } = {}): ChatPane {
  const log = el('ol', { class: 'messages', role: 'log', 'aria-label': 'Messages', 'aria-live': 'polite' });
  const connection = el('span', { class: 'connection', role: 'status' }, 'connecting…');
  const status = statusLine();
  const input = el('textarea', { rows: options.compact ? 2 : 3, placeholder: 'Write a message (Enter sends, Shift+Enter for a new line)' });
  applyMessageLimit(input);
  const verification = levelPicker('Verification', 'none', () => undefined);
  const send = el('button', { type: 'submit' }, 'Send');
  const privateMode = el('input', { type: 'checkbox', title: 'Send turns sealed with Oblivious HTTP through a relay (docs/privacy.md)' });
  const relaysInput = el('input', { type: 'text', placeholder: 'https://relay.example/ (several: comma-separated)' });
  const pinsInput = el('input', { type: 'text', placeholder: 'sha256 of the key configuration, from the operator' });
  const privateSettings = el('div', { class: 'private-settings', hidden: true }, field('Relays', relaysInput), field('Pinned key hashes', pinsInput));
  const older = el('button', { type: 'button', class: 'secondary small', hidden: true }, 'Older messages');
  let olderCursor: string | null = null;
  let busy = false;
  const entries: Entry[] = [];
  // The Markdown renderer loads with the pane, beside the history; whatever was shown as plain text before it came
  // is rendered again. Without it (a failed load) messages stay plain text.
  const markdownReady = loadMarkdown().then(
    () => entries.forEach((entry) => setContent(entry, entry.content)),
    () => undefined,
  );

  const pane: ChatPane = { root: el('div'), onReplyDone: () => undefined, close: () => chat.close() };
  const chat = new ChatConnection(apiKey() ?? '', (state, detail) => {
    connection.textContent = state === 'online' ? 'online' : state === 'connecting' ? 'connecting…' : `reconnecting…${detail ? ` (${detail})` : ''}`;
    connection.className = `connection ${state}`;
  });
  const path = (suffix: string) => `/conversations/${encodeURIComponent(conversationId)}${suffix}`;

  /** ‹ k of n ›: step through a reply's regenerated alternatives; the one shown is the one later turns use. */
  const alternativesControl = (entry: Entry): HTMLElement | null => {
    if (entry.alternatives < 2 || !entry.id) return null;
    const label = el('span', { class: 'small muted' }, entry.position ? `reply ${entry.position} of ${entry.alternatives}` : `${entry.alternatives} replies`);
    const step = async (direction: -1 | 1) => {
      try {
        const alternatives = await request<AlternativeReply[]>('GET', path(`/messages/${encodeURIComponent(entry.id!)}/alternatives`));
        const current = Math.max(0, alternatives.findIndex((alternative) => alternative.chosen));
        const target = alternatives[(current + direction + alternatives.length) % alternatives.length]!;
        await request('POST', path(`/messages/${encodeURIComponent(target.id)}/choose`));
        entry.id = target.id;
        entry.turnId = target.turnId;
        entry.root.dataset.messageId = target.id;
        setContent(entry, target.content);
        entry.position = alternatives.indexOf(target) + 1;
        entry.alternatives = alternatives.length;
        replaceChildren(entry.footer, replyControls(entry));
      } catch (error) {
        status.textContent = (error as Error).message;
      }
    };
    return el(
      'div',
      { class: 'alternatives', role: 'group', 'aria-label': 'Alternative replies' },
      el('button', { type: 'button', class: 'small secondary', 'aria-label': 'Previous alternative reply', onclick: () => void step(-1) }, '‹'),
      label,
      el('button', { type: 'button', class: 'small secondary', 'aria-label': 'Next alternative reply', onclick: () => void step(1) }, '›'),
    );
  };

  /** Rating, receipt and alternatives of a stored reply; the receipt comes from GET /turns/:id when asked for. */
  const replyControls = (entry: Entry, proof?: TurnVerification | null): HTMLElement[] => {
    if (!entry.id || !entry.turnId) return [];
    const turnId = entry.turnId;
    let receipt: HTMLElement;
    if (proof) receipt = receiptBadge(proof, { turnId, conversationId, replyText: entry.content });
    else {
      receipt = el('button', { type: 'button', class: 'small link' }, 'Receipt');
      receipt.addEventListener('click', async () => {
        const turn = await request<{ done?: TurnDoneEvent }>('GET', `/turns/${encodeURIComponent(turnId)}`).catch(() => null);
        const stored = turn?.done?.verification;
        receipt.replaceWith(stored ? receiptBadge(stored, { turnId, conversationId, replyText: entry.content }) : el('span', { class: 'small muted' }, 'no receipt (verification none)'));
      });
    }
    return [ratingControl(conversationId, entry.id), receipt, alternativesControl(entry)].filter((node): node is HTMLElement => node !== null);
  };

  /** Edit goes on the latest message of yours, Regenerate on the latest reply, nowhere else. */
  const markLatest = () => {
    for (const entry of entries) replaceChildren(entry.latest);
    const lastUser = [...entries].reverse().find((entry) => entry.role === 'user' && entry.id);
    const lastReply = entries.at(-1);
    if (lastUser) lastUser.latest.append(el('button', { type: 'button', class: 'small link', onclick: () => startEdit(lastUser) }, 'Edit'));
    if (lastReply?.role === 'assistant' && lastReply.turnId && lastUser) {
      lastReply.latest.append(el('button', { type: 'button', class: 'small link', onclick: () => void regenerate() }, 'Regenerate'));
    }
  };

  const historyEntry = (message: Message): Entry => {
    const entry = messageEntry(message.role, message.content);
    Object.assign(entry, { id: message.id, turnId: message.turnId, alternatives: message.alternatives ?? 1 });
    entry.root.dataset.messageId = message.id;
    // The greeting has no turn: nothing to rate and no receipt.
    if (message.role === 'assistant') append(entry.footer, replyControls(entry));
    return entry;
  };

  const loadHistory = async (before?: string) => {
    // The first page waits for the renderer, so the history does not show its Markdown as plain text first.
    const [page] = await Promise.all([request<Page<Message>>('GET', path(`/messages?limit=50${before ? `&before=${encodeURIComponent(before)}` : ''}`)), markdownReady]);
    const loaded = page.items.map(historyEntry);
    if (before) {
      entries.unshift(...loaded);
      log.prepend(...loaded.map((entry) => entry.root));
    } else {
      entries.push(...loaded);
      log.append(...loaded.map((entry) => entry.root));
    }
    olderCursor = page.nextCursor;
    older.hidden = !olderCursor;
    markLatest();
    if (!before) log.lastElementChild?.scrollIntoView({ block: 'end' });
  };

  /** turn:done names the reply, the message it answers and how many replies that message has: no re-read. */
  const takeIds = (reply: Entry, event: TurnDoneEvent) => {
    Object.assign(reply, { id: event.messageId, turnId: event.turnId, alternatives: event.alternatives });
    reply.root.dataset.messageId = event.messageId;
    const question = entries[entries.indexOf(reply) - 1];
    if (question?.role === 'user' && event.userMessageId) {
      question.id = event.userMessageId;
      question.root.dataset.messageId = event.userMessageId;
    }
  };

  /** Streams one turn (send, regenerate or edit) into `reply`, already on screen. */
  const stream = async (reply: Entry, start: (listener: TurnListener) => Promise<TurnSendAck>) => {
    busy = true;
    send.disabled = true;
    reply.root.classList.add('pending');
    const typing = el('span', { class: 'typing' }, 'sending…');
    replaceChildren(reply.footer, typing);
    log.setAttribute('aria-busy', 'true');
    const settle = () => {
      busy = false;
      send.disabled = false;
      log.removeAttribute('aria-busy');
      input.focus();
    };
    const ack = await start({
      onQueued: () => (typing.textContent = 'queued…'),
      onText: (soFar) => {
        typing.textContent = 'typing…';
        reply.root.classList.remove('pending');
        reply.root.classList.add('streaming');
        setContent(reply, soFar);
        reply.root.scrollIntoView({ block: 'end' });
      },
      onRestarted: (attempt) => {
        typing.textContent = `a node failed; attempt ${attempt} restarting…`;
        setContent(reply, '');
      },
      onDone: (event) => {
        // What is shown is what the receipt must sign: the final text (equal to the concatenated chunks).
        setContent(reply, event.text);
        reply.root.classList.remove('pending', 'streaming');
        takeIds(reply, event);
        status.textContent = `Reply in ${event.timings.totalMs ?? '?'} ms (${event.usage.completionTokens} tokens).`;
        settle();
        replaceChildren(reply.footer, replyControls(reply, event.verification));
        markLatest();
        pane.onReplyDone(event);
      },
      onError: (error) => {
        reply.root.classList.remove('pending', 'streaming');
        reply.root.classList.add('failed');
        replaceChildren(reply.footer, el('span', { class: 'error', role: 'alert' }, `${error.code}: ${error.message}`));
        settle();
      },
    });
    if (ack.ok && ack.verification !== verification.value()) status.textContent = `This persona requires ${ack.verification}.`;
  };

  const level = (): VerificationLevel => verification.value();

  let personaId: string | null = null;
  /** Private mode: the turn goes to POST /v1/chat/completions, sealed for the gateway and carried by a relay. */
  const sendPrivately = async (text: string, listener: TurnListener): Promise<TurnSendAck> => {
    const module = await import('../private-mode');
    const settings = { relays: module.listOf(relaysInput.value), pins: module.listOf(pinsInput.value) };
    module.saveSettings(settings);
    personaId ??= (await request<{ personaId: string }>('GET', path(''))).personaId;
    let soFar = '';
    let turnId = '';
    try {
      for await (const event of module.sendPrivately(settings, { apiKey: apiKey() ?? '', personaId, conversationId, text, verification: level() })) {
        if (event.type === 'start') status.textContent = `Private mode: via ${new URL(event.relay).host}`;
        else if (event.type === 'token') listener.onText((soFar += event.text));
        else {
          const doppel = (event.doppel ?? {}) as Partial<TurnDoneEvent>;
          turnId = doppel.turnId ?? '';
          listener.onDone({
            turnId,
            messageId: doppel.messageId ?? '',
            userMessageId: doppel.userMessageId ?? '',
            alternatives: doppel.alternatives ?? 1,
            text: soFar,
            usage: doppel.usage ?? ({ completionTokens: 0 } as TurnDoneEvent['usage']),
            timings: doppel.timings ?? ({ totalMs: null } as TurnDoneEvent['timings']),
            verification: doppel.verification ?? null,
          } as TurnDoneEvent);
        }
      }
    } catch (error) {
      listener.onError(module.describeFailure(error as { code?: string; message: string }) as never);
    }
    return { ok: true, turnId, duplicate: false, verification: level() } as TurnSendAck;
  };

  const submit = async () => {
    const text = input.value.trim();
    if (!text || busy) return;
    const question = messageEntry('user', text);
    const reply = messageEntry('assistant', '');
    entries.push(question, reply);
    log.append(question.root, reply.root);
    for (const entry of entries) replaceChildren(entry.latest);
    input.value = '';
    await stream(reply, (listener) => (privateMode.checked ? sendPrivately(text, listener) : chat.send(conversationId, text, level(), listener)));
  };

  /** A new reply to the last message replaces the one shown; the old one stays reachable through ‹ ›. */
  const regenerate = async () => {
    const last = entries.at(-1);
    if (busy || !last || last.role !== 'assistant') return;
    const reply = messageEntry('assistant', '');
    last.root.replaceWith(reply.root);
    entries[entries.length - 1] = reply;
    for (const entry of entries) replaceChildren(entry.latest);
    await stream(reply, (listener) => chat.regenerate(conversationId, level(), listener));
  };

  const startEdit = (message: Entry) => {
    if (busy || !message.id) return;
    const editor = el('textarea', { rows: 2 });
    applyMessageLimit(editor);
    editor.value = message.content;
    const save = el('button', { type: 'submit', class: 'small' }, 'Save and answer again');
    const cancel = el('button', { type: 'button', class: 'small secondary' }, 'Cancel');
    const form = el('form', { class: 'edit-form' }, field('Edit your message', editor), el('div', { class: 'row' }, save, cancel));
    message.body.replaceWith(form);
    editor.focus();
    const restore = () => form.replaceWith(message.body);
    cancel.addEventListener('click', restore);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = editor.value.trim();
      if (!text) return;
      restore();
      setContent(message, text);
      // Replies to the old text leave the conversation; the new reply takes their place.
      const index = entries.indexOf(message);
      for (const stale of entries.splice(index + 1)) stale.root.remove();
      const reply = messageEntry('assistant', '');
      entries.push(reply);
      log.append(reply.root);
      for (const entry of entries) replaceChildren(entry.latest);
      void stream(reply, (listener) => chat.edit(conversationId, message.id!, text, level(), listener));
    });
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
    el('div', { class: 'composer-actions' }, verification.root, el('label', { class: 'private-toggle' }, privateMode, ' Private mode'), send),
    privateSettings,
  );
  privateMode.addEventListener('change', () => {
    privateSettings.hidden = !privateMode.checked;
    if (!privateMode.checked) return;
    void import('../private-mode').then((module) => {
      const saved = module.loadSettings();
      relaysInput.value ||= saved.relays.join(', ');
      pinsInput.value ||= saved.pins.join(', ');
    });
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    }
  });
  older.addEventListener('click', () => void (olderCursor && loadHistory(olderCursor).catch((error: Error) => (status.textContent = error.message))));
  const drop = el('button', { type: 'button', class: 'small link', title: 'Cut the connection; the reply resumes where it was' }, 'Simulate a network drop');
  drop.addEventListener('click', () => chat.dropConnection());

  pane.root = el('div', { class: `chat-pane${options.compact ? ' compact' : ''}` }, el('div', { class: 'chat-status' }, connection, drop), older, log, form, status);
  void loadHistory().catch((error: Error) => (status.textContent = error.message));
  return pane;
}
