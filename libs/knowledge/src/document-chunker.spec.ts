import { describe, expect, it } from 'vitest';
import { chunkDocument, DEFAULT_CHUNKING, type ChunkingOptions } from './document-chunker';

const small: ChunkingOptions = { targetChars: 120, maxChars: 200, overlapChars: 40 };

/** n distinct sentences of about 40 characters each. */
const sentences = (n: number, topic = 'engine') => Array.from({ length: n }, (_, i) => `Fact ${i} about the ${topic} is number ${i}.`).join(' ');

describe('chunkDocument', () => {
  it('keeps a short plain text whole, trimmed', () => {
    expect(chunkDocument('  The Analytical Engine weaves algebraic patterns.  \n', 'text/plain')).toEqual([
      { ordinal: 0, content: 'The Analytical Engine weaves algebraic patterns.', headings: [] },
    ]);
  });

  it('returns nothing for a document of only whitespace', () => {
    expect(chunkDocument(' \n\n \t\n', 'text/markdown')).toEqual([]);
    expect(chunkDocument('', 'text/plain')).toEqual([]);
  });

  it('starts every chunk of a section with the headings above it', () => {
    const markdown = [
      '# Engines',
      'Intro paragraph about engines.',
      '## Difference Engine',
      'It computes tables of polynomials.',
      '## Analytical Engine',
      'It has a store and a mill.',
      '### Cards',
      'Operation cards and variable cards.',
      '# Poetry',
      'Poetical science.',
    ].join('\n');
    const chunks = chunkDocument(markdown, 'text/markdown');
    expect(chunks.map((chunk) => chunk.content)).toEqual([
      '# Engines\n\nIntro paragraph about engines.',
      '# Engines\n## Difference Engine\n\nIt computes tables of polynomials.',
      '# Engines\n## Analytical Engine\n\nIt has a store and a mill.',
      '# Engines\n## Analytical Engine\n### Cards\n\nOperation cards and variable cards.',
      '# Poetry\n\nPoetical science.',
    ]);
    expect(chunks.map((chunk) => chunk.ordinal)).toEqual([0, 1, 2, 3, 4]);
    expect(chunks[3]!.headings).toEqual(['# Engines', '## Analytical Engine', '### Cards']);
  });

  it('treats plain text headings-lookalikes as text', () => {
    const chunks = chunkDocument('# not a heading in plain text\nstill the same paragraph', 'text/plain');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.headings).toEqual([]);
    expect(chunks[0]!.content).toBe('# not a heading in plain text\nstill the same paragraph');
  });

  it('does not read a # inside a code fence as a heading, and keeps the fence in one piece', () => {
    const markdown = '## Setup\n\n```sh\n# install it\nnpm install\n\n# run it\nnpm start\n```\n\nThen open the page.';
    const chunks = chunkDocument(markdown, 'text/markdown');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.content).toBe('## Setup\n\n```sh\n# install it\nnpm install\n\n# run it\nnpm start\n```\n\nThen open the page.');
  });

  it('packs paragraphs up to the target and never past the maximum, losing no paragraph', () => {
    const paragraphsIn = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} says something brief.`);
    const chunks = chunkDocument(paragraphsIn.join('\n\n'), 'text/plain', small);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.content.length).toBeLessThanOrEqual(small.maxChars);
    for (const paragraph of paragraphsIn) expect(chunks.some((chunk) => chunk.content.includes(paragraph))).toBe(true);
    // Packed, not one paragraph per chunk.
    expect(chunks.length).toBeLessThan(paragraphsIn.length);
  });

  it('repeats the end of a chunk at the start of the next one in the same section', () => {
    const chunks = chunkDocument(sentences(12), 'text/plain', small);
    expect(chunks.length).toBeGreaterThan(2);
    for (let index = 1; index < chunks.length; index++) {
      const previous = chunks[index - 1]!.content;
      const firstSentence = chunks[index]!.content.split(/(?<=\.)\s+/)[0]!;
      expect(previous.endsWith(firstSentence)).toBe(true);
      expect(firstSentence.length).toBeLessThanOrEqual(small.overlapChars);
    }
  });

  it('does not carry overlap across sections', () => {
    const markdown = `# One\n\n${sentences(3, 'mill')}\n\n# Two\n\n${sentences(3, 'store')}`;
    const chunks = chunkDocument(markdown, 'text/markdown', small);
    const second = chunks.find((chunk) => chunk.headings[0] === '# Two')!;
    expect(second.content).not.toContain('mill');
  });

  it('cuts a paragraph longer than the maximum at sentence ends, with its headings on every piece', () => {
    const markdown = `# Notes\n\n${sentences(20)}`;
    const chunks = chunkDocument(markdown, 'text/markdown', small);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.content.length).toBeLessThanOrEqual(small.maxChars);
      expect(chunk.content.startsWith('# Notes\n\n')).toBe(true);
      expect(chunk.content).toMatch(/\.$/);
    }
    for (let i = 0; i < 20; i++) expect(chunks.some((chunk) => chunk.content.includes(`Fact ${i} about the engine is number ${i}.`))).toBe(true);
  });

  it('cuts a single sentence longer than the maximum at word boundaries', () => {
    const longSentence = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const chunks = chunkDocument(longSentence, 'text/plain', small);
    for (const chunk of chunks) expect(chunk.content.length).toBeLessThanOrEqual(small.maxChars);
    const words = new Set(chunks.flatMap((chunk) => chunk.content.split(/\s+/)));
    for (let i = 0; i < 200; i++) expect(words.has(`word${i}`)).toBe(true);
  });

  it('reads Windows line endings like Unix ones', () => {
    expect(chunkDocument('# Title\r\n\r\nBody text.', 'text/markdown')).toEqual(chunkDocument('# Title\n\nBody text.', 'text/markdown'));
  });

  it('keeps a document of nothing but headings', () => {
    expect(chunkDocument('# Only a title', 'text/markdown').map((chunk) => chunk.content)).toEqual(['# Only a title']);
  });

  it('keeps chunks within the default maximum on a large document', () => {
    const markdown = Array.from({ length: 30 }, (_, i) => `## Section ${i}\n\n${sentences(30, `topic ${i}`)}`).join('\n\n');
    const chunks = chunkDocument(markdown, 'text/markdown');
    for (const chunk of chunks) expect(chunk.content.length).toBeLessThanOrEqual(DEFAULT_CHUNKING.maxChars);
    expect(chunks.map((chunk) => chunk.ordinal)).toEqual(chunks.map((_, index) => index));
  });
});
