// A saved persona's history and reception: versions with a field diff, ratings in aggregate, export downloads.
import { el, field, replaceChildren, statusLine } from '../dom';
import { download, request } from '../api';
import type { Persona, PersonaVersionRow, RatingsSummary, VersionDiff } from '../types';

const show = (value: unknown) => (value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

export function versionsPanel(persona: Persona): HTMLElement {
  const status = statusLine();
  const list = el('ol', { class: 'small' });
  const from = el('select');
  const to = el('select');
  const diff = el('div');
  const compare = el('button', { type: 'button', class: 'small secondary' }, 'Compare');
  compare.addEventListener('click', async () => {
    try {
      const result = await request<VersionDiff>('GET', `/personas/${encodeURIComponent(persona.id)}/versions/diff?from=${from.value}&to=${to.value}`);
      replaceChildren(
        diff,
        result.changes.length === 0
          ? el('p', { class: 'muted' }, 'No differences.')
          : el('table', {}, el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'field'), el('th', { scope: 'col' }, `v${from.value}`), el('th', { scope: 'col' }, `v${to.value}`))),
              el('tbody', {}, result.changes.map((change) => el('tr', {}, el('td', {}, change.field), el('td', {}, show(change.from)), el('td', {}, show(change.to)))))),
      );
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  });
  void request<PersonaVersionRow[]>('GET', `/personas/${encodeURIComponent(persona.id)}/versions`)
    .then((versions) => {
      replaceChildren(list, versions.map((version) => el('li', {}, `v${version.version} · ${new Date(version.createdAt).toLocaleString()} · `, el('code', { title: version.contentHash }, version.contentHash.slice(0, 14)))));
      const options = (selected: number) => versions.map((version) => el('option', { value: version.version, selected: version.version === selected }, `v${version.version}`));
      replaceChildren(from, options(Math.max(1, persona.version - 1)));
      replaceChildren(to, options(persona.version));
    })
    .catch((error: Error) => (status.textContent = error.message));
  return el('section', { class: 'card', 'aria-labelledby': 'versions-heading' }, el('h2', { id: 'versions-heading' }, 'Versions'), list, el('div', { class: 'row' }, field('From', from), field('To', to), compare), diff, status);
}

export function ratingsPanel(persona: Persona): HTMLElement {
  const body = el('div', {}, 'Loading…');
  void request<RatingsSummary>('GET', `/personas/${encodeURIComponent(persona.id)}/ratings`)
    .then((ratings) =>
      replaceChildren(
        body,
        el('p', { 'data-testid': 'ratings-summary' }, ratings.count === 0 ? 'No ratings yet.' : `${ratings.count} ratings, average ${ratings.average?.toFixed(2)} of 5.`),
        el('ul', { class: 'plain small' }, ['5', '4', '3', '2', '1'].map((score) => el('li', {}, `${score} ★: ${ratings.distribution[score] ?? 0}`))),
      ),
    )
    .catch((error: Error) => replaceChildren(body, error.message));
  return el('section', { class: 'card', 'aria-labelledby': 'ratings-heading' }, el('h2', { id: 'ratings-heading' }, 'Ratings'), body);
}

export function exportPanel(persona: Persona): HTMLElement {
  const status = statusLine();
  const formats: [string, string, string][] = [
    ['eliza', 'ElizaOS character (JSON)', 'character.json'],
    ['ccv3', 'Character Card V3 (JSON)', 'card.json'],
    ['ccv3-png', 'Character Card V3 (PNG)', 'card.png'],
  ];
  return el(
    'section',
    { class: 'card', 'aria-labelledby': 'export-heading' },
    el('h2', { id: 'export-heading' }, 'Export'),
    el('div', { class: 'row' }, formats.map(([format, label, fileName]) =>
      el('button', { type: 'button', class: 'small secondary', onclick: () => void download(`/personas/${encodeURIComponent(persona.id)}/export?format=${format}`, fileName).catch((error: Error) => (status.textContent = error.message)) }, label))),
    status,
  );
}
