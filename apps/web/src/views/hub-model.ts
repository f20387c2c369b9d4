// One hub model: its card (rendered by the escaping Markdown renderer), facts, files, versions, provenance and the
// nodes serving it now; "use this model" points one of your personas at it when a node serves it.
import { el, field, replaceChildren, statusLine } from '../dom';
import { request } from '../api';
import { renderMarkdown } from '../markdown';
import { navigate } from '../router';
import type { Page, Persona } from '../types';
import { formatParameters } from './hub';
import type { HubModel, HubVersionSummary } from './hub-types';

const short = (hash: string) => `${hash.slice(0, 12)}…`;
const refHref = (ref: string) => `#/hub/${encodeURIComponent(ref)}`;

function versionLink(summary: HubVersionSummary): HTMLElement {
  return el('a', { href: refHref(`${summary.name}@${summary.version}`) }, `${summary.name}@${summary.version}`);
}

function factRow(label: string, value: Node | string): HTMLElement {
  return el('tr', {}, el('th', { scope: 'row' }, label), el('td', {}, value));
}

/** The card without its front matter (the facts table shows those fields). */
function cardBody(markdown: string): string {
  return markdown.replace(/^\uFEFF?---\r?\n[\s\S]*?\r?\n---[ \t]*\r?\n?/, '');
}

function useThisModel(model: HubModel): HTMLElement {
  const serving = model.servingNodes.filter((node) => node.servesTurns && !node.revoked);
  if (serving.length === 0) {
    return el(
      'p',
      { class: 'muted' },
      'No node serves this model here yet. Start one with ',
      el('code', {}, `HUB_URL=<this gateway> HUB_MODELS=${model.name}@${model.version}`),
      '; it downloads the files, checks every hash and serves it.',
    );
  }
  const modelId = serving[0]!.modelId;
  const personas = el('select', { name: 'persona' }, el('option', { value: '' }, 'Loading your personas…'));
  const status = statusLine();
  const use = el('button', { type: 'button' }, 'Use this model');
  void request<Page<Persona>>('GET', '/personas?mine=true&limit=100')
    .then((page) => replaceChildren(personas, page.items.length === 0 ? el('option', { value: '' }, 'You have no personas yet') : page.items.map((persona) => el('option', { value: persona.id }, persona.definition.name))))
    .catch((error: Error) => (status.textContent = error.message));
  use.addEventListener('click', () => {
    if (!personas.value) return;
    use.disabled = true;
    request('PATCH', `/personas/${encodeURIComponent(personas.value)}`, { defaultModel: modelId })
      .then(() => navigate({ screen: 'studio', personaId: personas.value }))
      .catch((error: Error) => {
        use.disabled = false;
        status.textContent = error.message;
      });
  });
  return el('div', { class: 'toolbar' }, field('Persona', personas, `Served here as “${modelId}”; the persona’s next version uses it.`), use, status);
}

export function renderHubModel(main: HTMLElement, ref: string): () => void {
  const status = statusLine('Loading the model…');
  replaceChildren(main, el('p', {}, el('a', { href: '#/hub' }, '← All models')), status);
  let cancelled = false;
  request<HubModel>('GET', `/hub/models/${encodeURIComponent(ref)}`)
    .then((model) => {
      if (cancelled) return;
      const card = model.card;
      const body = el('div', { class: 'card-body markdown' });
      // renderMarkdown escapes the whole card before it adds any tag of its own.
      body.innerHTML = renderMarkdown(cardBody(model.cardMarkdown));
      const provenance = model.provenance;
      replaceChildren(
        main,
        el('p', {}, el('a', { href: '#/hub' }, '← All models')),
        el('h1', {}, card.name, ' ', el('span', { class: 'muted small' }, `${model.name}@${model.version}`), model.version === model.latestVersion ? el('span', { class: 'badge' }, 'latest') : null),
        el('section', { 'aria-labelledby': 'use-heading' }, el('h2', { id: 'use-heading' }, 'Use this model'), useThisModel(model)),
        el(
          'table',
          { class: 'facts' },
          el(
            'tbody',
            {},
            factRow('Model hash', el('code', { title: model.modelHash }, model.receiptModelHash)),
            factRow('Task', card.task),
            factRow('Format', card.format ?? '—'),
            factRow('Size', `${formatParameters(card.parameters ?? null)}${model.files.length > 0 ? ` · ${model.files.length} files, ${(model.totalBytes / 1e6).toFixed(1)} MB` : model.remote ? ` · remote: ${model.remote.upstreamModel} at ${model.remote.baseUrl}` : ' · card only'}`),
            factRow('Licence', card.license ?? '—'),
            factRow('Languages', card.languages.join(', ') || '—'),
            factRow('Verification', el('span', {}, card.verification.map((level) => el('span', { class: 'badge' }, level)))),
            factRow('Author', card.author ?? '—'),
          ),
        ),
        el(
          'section',
          { 'aria-labelledby': 'provenance-heading' },
          el('h2', { id: 'provenance-heading' }, 'Provenance'),
          el(
            'ul',
            { class: 'plain' },
            el('li', {}, `Published by ${provenance.publisher.displayName} on ${new Date(provenance.publishedAt).toLocaleString()}.`),
            el('li', {}, provenance.signature ? `Signed (EIP-712) by ${provenance.signature.signer}.` : 'Not signed by a publisher key.'),
            provenance.parent
              ? el('li', {}, `${provenance.parent.relation ?? 'Made'} from `, provenance.parent.modelHash ? el('a', { href: refHref(provenance.parent.modelHash) }, provenance.parent.name ? `${provenance.parent.name}@${provenance.parent.version}` : short(provenance.parent.modelHash)) : provenance.parent.ref, '.')
              : null,
            provenance.children.length > 0 ? el('li', {}, 'Made from it: ', provenance.children.flatMap((child, index) => [index > 0 ? ', ' : '', versionLink(child), child.relation ? ` (${child.relation})` : ''])) : null,
          ),
        ),
        el(
          'section',
          { 'aria-labelledby': 'nodes-heading' },
          el('h2', { id: 'nodes-heading' }, 'Serving nodes'),
          model.servingNodes.length === 0
            ? el('p', { class: 'muted' }, 'None right now.')
            : el('table', {}, el('thead', {}, el('tr', {}, ['Node', 'Address', 'Served as', 'Levels'].map((heading) => el('th', { scope: 'col' }, heading)))), el('tbody', {}, model.servingNodes.map((node) => el('tr', {}, el('td', {}, node.nodeId), el('td', {}, el('code', {}, short(node.address))), el('td', {}, node.modelId), el('td', {}, node.revoked ? 'revoked' : node.levels.join(', ')))))),
        ),
        el('section', { 'aria-labelledby': 'versions-heading' }, el('h2', { id: 'versions-heading' }, 'Versions'), el('ul', { class: 'plain' }, model.versions.map((version) => el('li', {}, versionLink(version), ` · ${new Date(version.publishedAt).toLocaleDateString()} · `, el('code', {}, short(version.modelHash)))))),
        model.files.length > 0
          ? el(
              'section',
              { 'aria-labelledby': 'files-heading' },
              el('h2', { id: 'files-heading' }, 'Files'),
              el('table', {}, el('tbody', {}, model.files.map((file) => el('tr', {}, el('td', {}, el('a', { href: `/hub/blobs/${file.sha256}`, download: file.path.split('/').pop() }, file.path)), el('td', {}, `${file.bytes.toLocaleString()} B`), el('td', {}, el('code', { title: file.sha256 }, short(file.sha256))))))),
            )
          : null,
        el('section', { 'aria-labelledby': 'card-heading' }, el('h2', { id: 'card-heading' }, 'Model card'), body),
      );
    })
    .catch((error: Error) => {
      if (!cancelled) status.textContent = error.message;
    });
  return () => {
    cancelled = true;
  };
}
