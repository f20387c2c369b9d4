// A model card: Markdown with YAML front matter (the fields of ../shared/fixtures/model-hub/README.md). Only the
// known fields are kept, each bounded, so a card is data and nothing in it can grow without limit.
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { z } from 'zod';
import { DoppelError, ErrorCode, MODEL_CARD_VERIFICATION_NAMES } from '@doppel/protocol';

export const HUB_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const CARD_MAX_BYTES = 256 * 1024;
export const VERIFICATION_LEVELS = MODEL_CARD_VERIFICATION_NAMES;

const slug = z.string().regex(/^[a-z0-9][a-z0-9._+-]{0,63}$/i, 'a short identifier: letters, digits, ".", "_", "+" or "-"');
const shortText = z.string().trim().min(1).max(200);
const word = z.string().trim().min(1).max(80);

export const cardFrontMatterSchema = z.object({
  id: z.string().regex(HUB_NAME_PATTERN, 'the model name: lowercase letters, digits, ".", "_" or "-", at most 64'),
  name: shortText,
  task: slug,
  format: slug.optional(),
  parameters: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  license: slug.optional(),
  languages: z.array(slug).max(200).default([]),
  tags: z.array(word).max(64).default([]),
  datasets: z.array(shortText).max(64).default([]),
  metrics: z.record(word, z.number().finite()).default({}),
  verification: z.array(z.enum(VERIFICATION_LEVELS)).max(4).default([]),
  author: shortText.optional(),
  created: z.string().max(40).optional(),
  /** What this model was made from: a model hash, or name@version on this hub. */
  base_model: z.string().trim().min(1).max(200).optional(),
  /** How: fine-tune, quantisation, distillation, merge, adapter… */
  base_model_relation: slug.optional(),
});
export type CardFrontMatter = z.infer<typeof cardFrontMatterSchema>;

export interface ModelCard {
  frontMatter: CardFrontMatter;
  /** The Markdown after the front matter. */
  body: string;
  /** The first paragraph of the body: what the model does, for results and embeddings. */
  summary: string;
  /** The card as published, byte for byte. */
  markdown: string;
}

function cardError(message: string, details?: unknown): DoppelError {
  return new DoppelError(ErrorCode.HubCardInvalid, `The model card is not valid: ${message}`, details);
}

export function parseModelCard(markdown: string): ModelCard {
  if (Buffer.byteLength(markdown, 'utf8') > CARD_MAX_BYTES) throw cardError(`it is larger than ${CARD_MAX_BYTES} bytes`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(markdown)) throw cardError('it contains control characters');
  const match = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)([\s\S]*)$/.exec(markdown);
  if (!match) throw cardError('it must start with YAML front matter between two "---" lines');
  let yaml: unknown;
  try {
    yaml = loadYaml(match[1]!, { schema: CORE_SCHEMA });
  } catch (error) {
    throw cardError(`the front matter is not YAML (${(error as Error).message.split('\n')[0]})`);
  }
  if (!yaml || typeof yaml !== 'object' || Array.isArray(yaml)) throw cardError('the front matter must be a mapping of fields');
  const parsed = cardFrontMatterSchema.safeParse(yaml);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    throw cardError(issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; '), issues);
  }
  const body = match[2]!.trim();
  return { frontMatter: parsed.data, body, summary: firstParagraph(body), markdown };
}

/** The first prose paragraph, without Markdown emphasis: headings, tables, lists and code are skipped. */
export function firstParagraph(body: string): string {
  const lines = body.split(/\r?\n/);
  const paragraph: string[] = [];
  let inCode = false;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed.startsWith('```')) {
      inCode = !inCode;
      if (paragraph.length > 0) break;
      continue;
    }
    if (inCode) continue;
    const prose = trimmed !== '' && !/^(#|\||[-*+] |\d+\. |>|<)/.test(trimmed);
    if (prose) paragraph.push(trimmed);
    else if (paragraph.length > 0) break;
  }
  return plainText(paragraph.join(' ')).slice(0, 1000);
}

export function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*`]+/g, '')
    // Underscores inside words are part of them (lost_or_stolen_card); around words they are emphasis.
    .replace(/(^|[^\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
