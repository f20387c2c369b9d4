import { describe, expect, it } from 'vitest';
import { buildTsquery, highlightSegments } from './hub-search.service';
import { modelFilePathProblem } from './model-files-upload';
import { fuseScores } from './ranking';

describe('ranking pieces', () => {
  it('fuses lexical scores relative to the best with semantic similarity scaled above the floor', () => {
    const fused = fuseScores(
      [{ name: 'a', score: 0.5 }, { name: 'b', score: 0.25 }],
      [{ name: 'b', distance: 0.1 }, { name: 'c', distance: 0.3 }, { name: 'd', distance: 0.5 }],
      { lexicalWeight: 1, semanticWeight: 0.5, semanticFloorRank: 3 },
    );
    expect(fused.get('a')).toBeCloseTo(1);
    expect(fused.get('b')).toBeCloseTo(0.5 + 0.5);
    expect(fused.get('c')).toBeCloseTo(0.25);
    expect(fused.get('d')).toBeCloseTo(0);
  });

  it('ORs lexemes and accepted corrections, quotes them, and matches the typed word as a prefix', () => {
    const terms = [
      { token: 'volatilty', known: false, lexemes: ['volatilti'], suggestion: 'volatility', suggestionLexemes: ['volatil'], edits: 1 },
      { token: "o'brien", known: true, lexemes: ["o'brien"], suggestion: null, suggestionLexemes: [], edits: null },
      { token: 'the', known: true, lexemes: [], suggestion: null, suggestionLexemes: [], edits: null },
    ];
    expect(buildTsquery(terms, [{ from: 'volatilty', to: 'volatility' }], "o'brien")).toBe("'volatilti' | 'volatil' | 'o''brien' | 'o''brien':*");
    expect(buildTsquery([terms[2]!], [], null)).toBeNull();
  });

  it('splits ts_headline output into plain and matched segments', () => {
    expect(highlightSegments('Forecasts \u0002volatility\u0003 of \u0002BTC\u0003')).toEqual([
      { text: 'Forecasts ', match: false },
      { text: 'volatility', match: true },
      { text: ' of ', match: false },
      { text: 'BTC', match: true },
    ]);
  });

  it('accepts model folder paths and refuses escapes, dotfiles and documentation', () => {
    expect(modelFilePathProblem('onnx/model.onnx')).toBeNull();
    expect(modelFilePathProblem('tokenizer.json')).toBeNull();
    for (const path of ['../x', '/etc/passwd', 'a//b', '.env', 'onnx/.hidden', 'README.md', 'a\\b', '']) expect(modelFilePathProblem(path)).not.toBeNull();
  });
});
