// What search indexes of a card, by weight: A what the model is called and tagged, B what it does (task, summary,
// languages, format, licence, verification, author), C the rest of the card, D metric names. Also the text its
// embedding is made from: the parts that say what the model is for, not its tables and usage code.
import { languageNames } from './language-names';
import { plainText, type ModelCard } from './model-card';

export interface SearchDocument {
  a: string;
  b: string;
  c: string;
  d: string;
  embeddingText: string;
}

const BODY_MAX_CHARS = 20_000;

const VERIFICATION_WORDS: Record<string, string> = {
  signed: 'signed',
  reexec: 'reexec re-executable deterministic',
  tee: 'tee trusted execution environment attestation',
  zkml: 'zkml zero-knowledge proof',
};

function words(slug: string): string {
  return slug.replace(/[-_]+/g, ' ');
}

/** The card's prose: code blocks and table rules dropped, Markdown marks removed. */
function bodyText(body: string): string {
  return plainText(body.replace(/```[\s\S]*?(```|$)/g, ' ').replace(/^\s*\|?[-:| ]+\|?\s*$/gm, ' ')).slice(0, BODY_MAX_CHARS);
}

export function searchDocumentOf(card: ModelCard): SearchDocument {
  const front = card.frontMatter;
  const a = [front.name, front.id, words(front.id), ...front.tags].join(' ');
  const b = [
    words(front.task),
    card.summary,
    ...languageNames(front.languages),
    front.format ?? '',
    front.license ? `${front.license} ${words(front.license)}` : '',
    ...front.verification.map((level) => VERIFICATION_WORDS[level] ?? level),
    front.author ?? '',
  ].join(' ');
  const c = [bodyText(card.body), ...front.datasets].join(' ');
  const d = Object.keys(front.metrics).map(words).join(' ');
  const embeddingText = `${front.name}. ${words(front.task)}. ${front.tags.map(words).join(', ')}. ${card.summary}`;
  return { a, b, c, d, embeddingText };
}
