// The model hub: search as you type with exact filters; results show the summary with the matched words marked,
// the tags that matched, and what the search understood (corrections, sizes, languages).
import { MODEL_CARD_VERIFICATION_NAMES } from '@doppel/protocol';
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import type { HubSearchHit, HubSearchResult } from './hub-types';

const SEARCH_DEBOUNCE_MS = 200;
const TASKS = [
  'chat',
  'text-generation',
  'sentence-embedding',
  'reranking',
  'text-classification',
  'token-classification',
  'time-series-forecasting',
  'tabular-regression',
  'tabular-classification',
  'anomaly-detection',
  'image-classification',
  'object-detection',
  'speech-recognition',
];
const SIZES: [string, string][] = [
  ['', 'any size'],
  ['50000', '≤ 50k'],
  ['1000000', '≤ 1M'],
  ['100000000', '≤ 100M'],
  ['1000000000', '≤ 1B'],
  ['10000000000', '≤ 10B'],
];

export function formatParameters(count: number | null): string {
  if (count === null) return '? params';
  for (const [scale, suffix] of [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (count >= scale) return `${Number((count / scale).toFixed(count >= scale * 10 ? 0 : 1))}${suffix} params`;
  }
  return `${count} params`;
}

function select(name: string, options: [string, string][]): HTMLSelectElement {
  return el('select', { name }, options.map(([value, label]) => el('option', { value }, label)));
}

function hitItem(hit: HubSearchHit): HTMLElement {
  const matched = new Set(hit.highlights.tags);
  return el(
    'li',
    { class: 'card hub-hit', 'data-model': hit.name },
    el('h2', {}, el('a', { href: `#/hub/${encodeURIComponent(`${hit.name}@${hit.version}`)}` }, hit.displayName), ' ', el('span', { class: 'small muted' }, `${hit.name}@${hit.version}`)),
    el('p', { class: 'small muted' }, [hit.task, hit.format, formatParameters(hit.parameters), hit.license, hit.author].filter(Boolean).join(' · ')),
    el('p', {}, hit.highlights.summary.map((segment) => (segment.match ? el('mark', {}, segment.text) : segment.text))),
    el('ul', { class: 'tags', 'aria-label': 'Tags' }, hit.tags.map((tag) => el('li', { class: matched.has(tag) ? 'matched' : null }, tag))),
    el('p', { class: 'small' }, hit.verification.map((level) => el('span', { class: 'badge' }, level)), hit.languages.length > 0 ? el('span', { class: 'muted' }, ` ${hit.languages.slice(0, 8).join(', ')}${hit.languages.length > 8 ? '…' : ''}`) : null),
  );
}

function understoodText(result: HubSearchResult): string {
  const parts: string[] = [];
  for (const correction of result.corrections) parts.push(`“${correction.from}” read as “${correction.to}”`);
  const { maxParameters, minParameters, languages, verification } = result.understood;
  if (maxParameters !== undefined) parts.push(`at most ${formatParameters(maxParameters)}`);
  if (minParameters !== undefined) parts.push(`at least ${formatParameters(minParameters)}`);
  if (languages.length > 0) parts.push(`languages ${languages.join(', ')}`);
  if (verification.length > 0) parts.push(`verification ${verification.join(', ')}`);
  return parts.length > 0 ? ` Understood: ${parts.join('; ')}.` : '';
}

export function renderHub(main: HTMLElement): () => void {
  let generation = 0;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  const query = el('input', { type: 'search', name: 'q', placeholder: 'e.g. btc volatility under 100k parameters', autocomplete: 'off', spellcheck: 'false' });
  const task = select('task', [['', 'any task'], ...TASKS.map((name): [string, string] => [name, name])]);
  const format = select('format', [['', 'any format'], ['onnx', 'onnx'], ['gguf', 'gguf'], ['safetensors', 'safetensors']]);
  const verification = select('verification', [['', 'any verification'], ...MODEL_CARD_VERIFICATION_NAMES.map((name): [string, string] => [name, name])]);
  const license = select('license', [['', 'any licence'], ['apache-2.0', 'apache-2.0'], ['mit', 'mit'], ['cc-by-4.0', 'cc-by-4.0'], ['cc-by-nc-4.0', 'cc-by-nc-4.0'], ['other', 'other']]);
  const maxParameters = select('maxParameters', SIZES);
  const language = el('input', { type: 'text', name: 'language', placeholder: 'en, sw, es…', size: 8, maxlength: 20, autocomplete: 'off' });
  const status = statusLine('Loading models…');
  const results = el('ol', { class: 'plain hub-results', 'aria-label': 'Models' });

  const search = async () => {
    const mine = ++generation;
    const params = new URLSearchParams({ limit: '30' });
    if (query.value.trim()) params.set('q', query.value);
    for (const control of [task, format, verification, license, maxParameters]) if (control.value) params.set(control.name, control.value);
    if (language.value.trim()) params.set('language', language.value.trim().toLowerCase());
    const result = await request<HubSearchResult>('GET', `/hub/models?${params}`);
    if (mine !== generation) return;
    replaceChildren(results, result.items.map(hitItem));
    const count = `${result.items.length} of ${result.total} model${result.total === 1 ? '' : 's'}`;
    status.textContent = `${count}${query.value.trim() ? '' : ', newest first'} (${result.tookMs.toFixed(0)} ms).${understoodText(result)}`;
  };
  const schedule = (delay: number) => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void search().catch((error: Error) => (status.textContent = error.message)), delay);
  };

  query.addEventListener('input', () => schedule(SEARCH_DEBOUNCE_MS));
  language.addEventListener('input', () => schedule(SEARCH_DEBOUNCE_MS));
  for (const control of [task, format, verification, license, maxParameters]) control.addEventListener('change', () => schedule(0));
  replaceChildren(
    main,
    el('h1', {}, 'Models'),
    el('p', { class: 'muted' }, 'Every model is content-addressed: its id is the hash a receipt names. Nodes pull by hash or name@version and check every file.'),
    el('div', { class: 'toolbar hub-filters' }, field('Search models', query), field('Task', task), field('Format', format), field('Verification', verification), field('Licence', license), field('Size', maxParameters), field('Language', language)),
    status,
    results,
  );
  schedule(0);
  query.focus();
  return () => clearTimeout(debounce);
}
