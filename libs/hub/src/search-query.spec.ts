import { describe, expect, it } from 'vitest';
import { analyseQuery, constraintFactor } from './search-query';

describe('search query analysis', () => {
  it('reads size limits with their scale, and leaves other numbers as words', () => {
    expect(analyseQuery('sentiment model under 50k parameters').constraints.maxParameters).toBe(50_000);
    expect(analyseQuery('chat below 1.5B').constraints.maxParameters).toBe(1.5e9);
    expect(analyseQuery('embedder with at least 100M params').constraints.minParameters).toBe(1e8);
    const horizon = analyseQuery('volatility under 24 hours');
    expect(horizon.constraints.maxParameters).toBeUndefined();
    expect(horizon.terms).toEqual(['volatility', 'under', '24', 'hours']);
    expect(analyseQuery('tiny classifier under 10k parameters').terms).toEqual(['tiny', 'classifier']);
  });

  it('recognises languages by name in English or their own, and verification words', () => {
    expect(analyseQuery('Swahili speech to text').constraints.languages).toEqual(['sw']);
    expect(analyseQuery('chat en español').constraints.languages).toEqual(['es']);
    expect(analyseQuery('zk provable price model').constraints.verification).toEqual(['zkml']);
    expect(analyseQuery('runs inside an enclave').constraints.verification).toEqual(['tee']);
  });

  it('matches the last word as a prefix only while it is being typed', () => {
    expect(analyseQuery('btc volat').prefix).toBe('volat');
    expect(analyseQuery('btc volat ').prefix).toBeNull();
  });

  it('lowers the score once per missed constraint', () => {
    const constraints = analyseQuery('swahili asr under 1M parameters').constraints;
    expect(constraintFactor(constraints, { parameters: 500_000, languages: ['sw'], verification: [] }, 0.5)).toBe(1);
    expect(constraintFactor(constraints, { parameters: 5_000_000, languages: ['multilingual'], verification: [] }, 0.5)).toBe(0.5);
    expect(constraintFactor(constraints, { parameters: null, languages: [], verification: [] }, 0.5)).toBe(0.25);
  });
});
