// Generated model cards for the latency benchmark: variants of the real ones (another asset, horizon, size,
// language mix, tags borrowed from cards of the same task), so the catalogue keeps a realistic vocabulary and
// many near-duplicates. Deterministic.
import type { ModelCard } from '@doppel/hub';
import { mulberry32 } from '@doppel/inference';
import { MODEL_CARD_VERIFICATION_NAMES } from '@doppel/protocol';

const ASSETS = ['sol', 'bnb', 'avax', 'matic', 'arb', 'op', 'link', 'doge', 'ada', 'dot', 'atom', 'near', 'xrp', 'ltc', 'trx'];
const HORIZONS = ['5m', '15m', '1h', '4h', '12h', '1d', '3d', '7d'];
const LANGUAGES = ['en', 'es', 'pt', 'fr', 'de', 'it', 'nl', 'pl', 'tr', 'ar', 'hi', 'ja', 'ko', 'zh', 'sw', 'sv', 'fi', 'id', 'vi', 'th'];
const FORMATS = ['onnx', 'gguf', 'safetensors'];
const LICENSES = ['apache-2.0', 'mit', 'cc-by-4.0', 'cc-by-nc-4.0', 'other'];
const LEVELS = MODEL_CARD_VERIFICATION_NAMES;


function yamlList(values: readonly string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
}

export function generateVariantCards(cards: readonly ModelCard[], count: number): string[] {
  const next = mulberry32(42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const byTask = new Map<string, ModelCard[]>();
  for (const card of cards) byTask.set(card.frontMatter.task, [...(byTask.get(card.frontMatter.task) ?? []), card]);
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const base = cards[n % cards.length]!;
    const front = base.frontMatter;
    const sibling = pick(byTask.get(front.task)!);
    const asset = pick(ASSETS);
    const horizon = pick(HORIZONS);
    const id = `${front.id.slice(0, 40)}-${asset}-${horizon}-v${n}`;
    const tags = [...new Set([...front.tags.slice(0, 4), ...sibling.frontMatter.tags.slice(0, 3), asset, horizon])];
    const languages = front.languages.length === 0 ? [] : [...new Set([front.languages[0]!, pick(LANGUAGES), pick(LANGUAGES)])];
    const verification = [...new Set(['signed', pick(LEVELS)])];
    const parameters = Math.max(1000, Math.round((front.parameters ?? 100_000) * (0.25 + next() * 4)));
    const paragraphs = base.body.split(/\n\s*\n/);
    const borrowed = sibling.body.split(/\n\s*\n/).slice(1, 3);
    const body = [`# ${front.name} ${asset.toUpperCase()} ${horizon}`, `A variant of ${front.name} for ${asset.toUpperCase()} at a ${horizon} horizon. ${base.summary}`, ...paragraphs.slice(1, 4), ...borrowed].join('\n\n');
    out.push(
      [
        '---',
        `id: ${id}`,
        `name: ${JSON.stringify(`${front.name} ${asset.toUpperCase()} ${horizon}`)}`,
        `task: ${front.task}`,
        `format: ${pick(FORMATS)}`,
        `parameters: ${parameters}`,
        `license: ${pick(LICENSES)}`,
        `languages: ${yamlList(languages)}`,
        `tags: ${yamlList(tags)}`,
        `datasets: ${yamlList(front.datasets.slice(0, 3))}`,
        `verification: ${yamlList(verification)}`,
        `author: ${JSON.stringify(`${pick(['lab', 'studio', 'collective', 'works'])}-${n % 97}`)}`,
        '---',
        '',
        body,
        '',
      ].join('\n'),
    );
  }
  return out;
}
