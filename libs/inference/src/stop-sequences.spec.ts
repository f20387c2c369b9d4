import { describe, expect, it } from 'vitest';
import { StopSequenceFilter } from './stop-sequences';

function run(tokens: string[], stops: string[]): string {
  const filter = new StopSequenceFilter(stops);
  let out = '';
  for (const token of tokens) out += filter.push(token);
  return out + filter.flush();
}

describe('StopSequenceFilter', () => {
  it('passes text through when there is no stop sequence', () => {
    expect(run(['Give', ' change', ' any'], [])).toBe('Give change any');
  });

  it('cuts at a stop sequence inside one token', () => {
    expect(run(['Give', ' change END more', ' words'], ['END'])).toBe('Give change ');
  });

  it('cuts at a stop sequence that spans tokens, emitting none of it', () => {
    expect(run(['Give', ' change', ' any', ' then', ' more'], ['ny th'])).toBe('Give change a');
  });

  it('releases held-back text once it is clear it is not a stop sequence', () => {
    const filter = new StopSequenceFilter(['\nUser:']);
    expect(filter.push('Hello\nUs')).toBe('Hello');
    expect(filter.push('ually')).toBe('\nUsually');
    expect(filter.flush()).toBe('');
  });

  it('stops at the earliest of several stop sequences and ignores later tokens', () => {
    const filter = new StopSequenceFilter(['zz', 'b c']);
    expect(filter.push('a b')).toBe('a ');
    expect(filter.push(' c zz')).toBe('');
    expect(filter.isStopped).toBe(true);
    expect(filter.push('more')).toBe('');
  });
});
