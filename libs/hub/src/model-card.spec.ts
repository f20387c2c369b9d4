import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@doppel/protocol';
import { firstParagraph, parseModelCard } from './model-card';

const card = (frontMatter: string, body = '# Title\n\nDoes **one** thing [well](http://x).\nSecond line.\n\n## More\nrest') => `---\n${frontMatter}\n---\n\n${body}\n`;

function refusal(markdown: string): { code: string; message: string } {
  try {
    parseModelCard(markdown);
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('the card was accepted');
}

describe('model cards', () => {
  it('reads the front matter fields, keeps dates as text, and takes the first paragraph as the summary', () => {
    const parsed = parseModelCard(card('id: tiny-lm\nname: Tiny LM\ntask: chat\nparameters: 1200\nlanguages: [en, sv]\ntags: [chat]\nmetrics:\n  acc: 0.9\nverification: [signed, zkml]\ncreated: 2024-03-21\nextra: ignored'));
    expect(parsed.frontMatter).toEqual({
      id: 'tiny-lm',
      name: 'Tiny LM',
      task: 'chat',
      parameters: 1200,
      languages: ['en', 'sv'],
      tags: ['chat'],
      datasets: [],
      metrics: { acc: 0.9 },
      verification: ['signed', 'zkml'],
      created: '2024-03-21',
    });
    expect(parsed.summary).toBe('Does one thing well. Second line.');
  });

  it('refuses cards without front matter, with bad fields or with control characters, naming the problem', () => {
    expect(refusal('# no front matter')).toMatchObject({ code: ErrorCode.HubCardInvalid, message: expect.stringMatching(/YAML front matter/) });
    expect(refusal(card('id: Bad Name\nname: x\ntask: chat')).message).toMatch(/id: the model name/);
    expect(refusal(card('id: ok\nname: x\ntask: chat\nverification: [magic]')).message).toMatch(/verification\.0/);
    expect(refusal(card('id: ok\nname: x\ntask: chat\nparameters: -3')).message).toMatch(/parameters/);
    expect(refusal(card('id: ok\nname: x\ntask: chat', 'bell \u0007')).message).toMatch(/control characters/);
    expect(refusal(card('id: [unclosed')).message).toMatch(/not YAML/);
    expect(refusal(card('- a list')).message).toMatch(/mapping/);
  });

  it('skips headings, lists, tables and code when finding the first paragraph', () => {
    expect(firstParagraph('# H\n\n- item\n\n| a | b |\n\n```\ncode\n```\n\nThe *real* text.\n\nNext.')).toBe('The real text.');
  });
});
