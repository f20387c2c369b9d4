import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChunkCoalescer } from './chunk-coalescer';

describe('ChunkCoalescer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  function coalescer(intervalMs: number) {
    const chunks: string[] = [];
    return { chunks, coalescer: new ChunkCoalescer(intervalMs, (text) => chunks.push(text)) };
  }

  it('flushes the first token at once', () => {
    const { chunks, coalescer: subject } = coalescer(50);
    subject.push('Hello');
    expect(chunks).toEqual(['Hello']);
  });

  it('joins the tokens that arrive within one interval into one chunk', () => {
    const { chunks, coalescer: subject } = coalescer(50);
    subject.push('Hello');
    subject.push(',');
    vi.advanceTimersByTime(20);
    subject.push(' world');
    expect(chunks).toEqual(['Hello']);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(30);
    expect(chunks).toEqual(['Hello', ', world']);

    subject.push('!');
    expect(chunks).toHaveLength(2);
    vi.advanceTimersByTime(50);
    expect(chunks).toEqual(['Hello', ', world', '!']);
  });

  it('gives chunks whose concatenation is exactly the concatenated tokens', () => {
    const { chunks, coalescer: subject } = coalescer(40);
    const tokens = ['The', ' quick', ' brown', '', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', '.'];
    tokens.forEach((token, index) => {
      subject.push(token);
      vi.advanceTimersByTime(index % 3 === 0 ? 45 : 10);
    });
    subject.flush();
    expect(chunks.join('')).toBe(tokens.join(''));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.length).toBeLessThan(tokens.length);
    expect(chunks.every((chunk) => chunk.length > 0)).toBe(true);
  });

  it('sends every token on its own when the interval is zero', () => {
    const { chunks, coalescer: subject } = coalescer(0);
    for (const token of ['a', 'b', 'c']) subject.push(token);
    expect(chunks).toEqual(['a', 'b', 'c']);
  });

  it('flushes what is buffered on demand and cancels the pending timer', () => {
    const { chunks, coalescer: subject } = coalescer(50);
    subject.push('one');
    subject.push(' two');
    subject.flush();
    expect(chunks).toEqual(['one', ' two']);
    vi.advanceTimersByTime(100);
    expect(chunks).toEqual(['one', ' two']);
    subject.flush();
    expect(chunks).toHaveLength(2);
  });

  it('drops buffered text on discard, and sends nothing when the timer would have fired', () => {
    const { chunks, coalescer: subject } = coalescer(50);
    subject.push('partial');
    subject.push(' reply that failed');
    subject.discard();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    subject.flush();
    expect(chunks).toEqual(['partial']);
  });

  it('ignores empty tokens: they neither count as the first token nor start the timer', () => {
    const { chunks, coalescer: subject } = coalescer(50);
    subject.push('');
    subject.push('Hi');
    expect(chunks).toEqual(['Hi']);
    subject.push('');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(chunks).toEqual(['Hi']);
  });
});
