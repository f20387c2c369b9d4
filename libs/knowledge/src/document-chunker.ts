// Cuts a knowledge document into chunks small enough to embed and to place in a prompt. Markdown-aware: each chunk
// starts with the headings of the section it came from, so a chunk retrieved on its own still says what it is about.
import type { KnowledgeMediaType } from '@doppel/db';

export interface ChunkingOptions {
  /** A chunk is closed once adding the next paragraph would take it past this many characters. */
  targetChars: number;
  /** No chunk is longer than this (headings included). */
  maxChars: number;
  /** Characters of the previous chunk repeated at the start of the next one in the same section. */
  overlapChars: number;
}

/** About 250 tokens of English per chunk: within the context of small embedding models, and cheap to place in a prompt. */
export const DEFAULT_CHUNKING: ChunkingOptions = { targetChars: 1000, maxChars: 1400, overlapChars: 150 };

export interface DocumentChunk {
  ordinal: number;
  content: string;
  /** The heading lines above the chunk, outermost first (empty for plain text). */
  headings: string[];
}

interface Section {
  headings: string[];
  blocks: string[];
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$/;
const FENCE = /^ {0,3}(```|~~~)/;

export function chunkDocument(content: string, mediaType: KnowledgeMediaType, options: ChunkingOptions = DEFAULT_CHUNKING): DocumentChunk[] {
  const text = content.replace(/\r\n?/g, '\n');
  const sections = mediaType === 'text/markdown' ? markdownSections(text) : [{ headings: [], blocks: paragraphs(text) }];
  const chunks: DocumentChunk[] = [];
  for (const section of sections) {
    for (const body of packSection(section, options)) chunks.push({ ordinal: chunks.length, content: body, headings: section.headings });
  }
  return chunks;
}

function paragraphs(text: string): string[] {
  return text
    .split(/\n[ \t]*\n/)
    .map((block) => block.trim())
    .filter(Boolean);
}

/** Splits Markdown at headings (outside code fences) into sections of blank-line-separated blocks. */
function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  let headingStack: { level: number; line: string }[] = [];
  let current: Section = { headings: [], blocks: [] };
  let block: string[] = [];
  let fence: string | null = null;

  const closeBlock = () => {
    const joined = block.join('\n').trim();
    if (joined) current.blocks.push(joined);
    block = [];
  };
  for (const line of text.split('\n')) {
    const fenceMatch = line.match(FENCE);
    if (fence) {
      block.push(line);
      if (fenceMatch && fenceMatch[1] === fence) {
        fence = null;
        closeBlock();
      }
      continue;
    }
    if (fenceMatch) {
      closeBlock();
      fence = fenceMatch[1]!;
      block.push(line);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      closeBlock();
      if (current.blocks.length > 0) sections.push(current);
      const level = heading[1]!.length;
      headingStack = [...headingStack.filter((entry) => entry.level < level), { level, line: `${heading[1]} ${heading[2]}`.trim() }];
      current = { headings: headingStack.map((entry) => entry.line), blocks: [] };
      continue;
    }
    if (line.trim() === '') closeBlock();
    else block.push(line);
  }
  closeBlock();
  if (current.blocks.length > 0) sections.push(current);
  // A document of nothing but headings still says something.
  if (sections.length === 0 && headingStack.length > 0) sections.push({ headings: [], blocks: [text.trim()] });
  return sections;
}

function packSection(section: Section, options: ChunkingOptions): string[] {
  const prefix = headingPrefix(section.headings, options.maxChars);
  const room = options.maxChars - (prefix ? prefix.length + 2 : 0);
  // Leave space for the overlap carried into the next chunk, so no piece ever pushes a chunk past maxChars.
  const pieceLimit = Math.max(1, room - options.overlapChars - 2);
  const pieces = section.blocks.flatMap((block) => splitLongBlock(block, pieceLimit));

  const bodies: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current && current.length + 2 + piece.length > Math.min(options.targetChars, room)) {
      bodies.push(current);
      const overlap = tailOf(current, options.overlapChars);
      current = overlap ? `${overlap}\n\n${piece}` : piece;
    } else {
      current = current ? `${current}\n\n${piece}` : piece;
    }
  }
  if (current) bodies.push(current);
  return bodies.map((body) => (prefix ? `${prefix}\n\n${body}` : body));
}

/** The heading path, shortened to its innermost heading when the whole path would crowd out the text. */
function headingPrefix(headings: string[], maxChars: number): string {
  const full = headings.join('\n');
  const limit = Math.floor(maxChars / 4);
  if (full.length <= limit) return full;
  return (headings.at(-1) ?? '').slice(0, limit);
}

/** A block longer than the limit is cut at sentence ends, and a sentence still too long at word boundaries. */
function splitLongBlock(block: string, limit: number): string[] {
  if (block.length <= limit) return [block];
  const pieces: string[] = [];
  let current = '';
  for (const sentence of block.split(/(?<=[.!?])\s+/)) {
    for (const part of splitAtWords(sentence, limit)) {
      if (current && current.length + 1 + part.length > limit) {
        pieces.push(current);
        current = part;
      } else {
        current = current ? `${current} ${part}` : part;
      }
    }
  }
  if (current) pieces.push(current);
  return pieces;
}

function splitAtWords(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = rest.lastIndexOf(' ', limit);
    const at = cut > limit / 2 ? cut : limit;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** The last few sentences (or, failing that, words) of a chunk, at most maxChars long. */
function tailOf(body: string, maxChars: number): string {
  if (maxChars <= 0) return '';
  const tail = body.slice(-maxChars);
  if (tail.length === body.length) return '';
  const sentenceStart = tail.search(/(?<=[.!?])\s+\S/);
  if (sentenceStart >= 0) return tail.slice(sentenceStart).trim();
  const wordStart = tail.search(/\s\S/);
  return wordStart >= 0 ? tail.slice(wordStart).trim() : '';
}
