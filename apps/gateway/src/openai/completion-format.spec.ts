import { describe, expect, it } from 'vitest';
import { DoppelError } from '@doppel/protocol';
import { sseData, StreamedText } from './completion-format';
import { splitMessages, uuidFromKey } from './openai-turns.service';

describe('StreamedText', () => {
  it('passes tokens through, and sends only what a restarted attempt adds beyond what the client has', () => {
    const text = new StreamedText();
    text.started(1);
    expect([text.next('Hello'), text.next(' wor')]).toEqual(['Hello', ' wor']);
    text.started(2);
    expect([text.next('Hel'), text.next('lo'), text.next(' world'), text.next('!')]).toEqual(['', '', 'ld', '!']);
    expect(text.rest('Hello world!')).toBe('');
    expect(text.diverged).toBe(false);
  });

  it('says when a restarted attempt differs from what was streamed', () => {
    const text = new StreamedText();
    text.started(1);
    text.next('Hello');
    text.started(2);
    expect(text.next('Howdy')).toBe('');
    expect(text.diverged).toBe(true);
  });

  it('sends the stored text the stream did not carry (a replayed finished turn)', () => {
    const text = new StreamedText();
    expect(text.rest('All of it.')).toBe('All of it.');
  });
});

describe('splitMessages', () => {
  it('keeps earlier user and assistant messages as history and answers the last', () => {
    expect(
      splitMessages([
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: [{ type: 'text', text: 'c' }, { type: 'text', text: 'd' }] },
      ]),
    ).toEqual({ history: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], text: 'c\nd' });
  });

  it.each([
    [[{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }], 'messages.0.role'],
    [[{ role: 'user', content: 'y' }, { role: 'assistant', content: 'z' }], 'messages.1.role'],
    [[{ role: 'tool', content: 'y' }, { role: 'user', content: 'z' }], 'messages.0.role'],
    [[{ role: 'user', content: [{ type: 'image_url' }] }], 'messages.0.content.0'],
    [[{ role: 'user', content: null }], 'messages.0.content'],
  ])('refuses %j naming %s', (messages, param) => {
    let thrown: unknown;
    try {
      splitMessages(messages);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DoppelError);
    expect((thrown as DoppelError).details).toEqual({ param });
  });
});

describe('uuidFromKey', () => {
  it('is a stable RFC 9562 version 8 UUID per account and key', () => {
    const id = uuidFromKey('account-1', 'key-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFromKey('account-1', 'key-1')).toBe(id);
    expect(uuidFromKey('account-2', 'key-1')).not.toBe(id);
  });
});

describe('sseData', () => {
  it('frames JSON and the terminator as server-sent events', () => {
    expect(sseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(sseData('[DONE]')).toBe('data: [DONE]\n\n');
  });
});
