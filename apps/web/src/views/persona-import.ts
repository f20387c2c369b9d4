// Import by drag and drop (or a file picker, for the keyboard): a character JSON (one or a list), card PNG, CHARX
// or lorebook goes to POST /personas/import as the file itself (multipart), and each report is shown.
import { el, replaceChildren, statusLine, uniqueId } from '../dom';
import { ApiError } from '../api';
import { apiKey } from '../session';
import type { ImportReport, ImportResponse } from '../types';

function reportList(report: ImportReport): HTMLElement[] {
  return [
    el('details', {}, el('summary', {}, `Mapped (${report.mapped.length})`), el('ul', { class: 'small' }, report.mapped.map((entry) => el('li', {}, `${entry.from} → ${entry.to}`)))),
    report.dropped.length > 0 ? el('h3', {}, `Dropped (${report.dropped.length})`) : el('p', { class: 'small muted' }, 'Nothing dropped.'),
    el('ul', { class: 'small' }, report.dropped.map((entry) => el('li', {}, `${entry.field}: ${entry.reason}`))),
    report.warnings.length > 0 ? el('ul', { class: 'small' }, report.warnings.map((warning) => el('li', {}, `⚠ ${warning}`))) : el('span'),
  ];
}

function reportView(imported: ImportResponse): HTMLElement {
  if (imported.kind === 'lorebook') {
    const { lorebook, report } = imported;
    return el(
      'div',
      { class: 'import-report', 'data-testid': 'import-report' },
      el('p', {}, `Imported the lorebook “${lorebook.book.name}” (${lorebook.book.entries.length} entries) from ${report.format}. Attach it to a persona under Lorebooks.`),
      ...reportList(report),
    );
  }
  const items = imported.kind === 'persona' ? [imported] : imported.personas;
  return el(
    'div',
    { class: 'import-report', 'data-testid': 'import-report' },
    items.map(({ persona, report }) =>
      el(
        'div',
        {},
        el('p', {}, `Imported “${persona.definition.name}” from ${report.format} (${report.container}). `, el('a', { href: `#/studio/${encodeURIComponent(persona.id)}` }, 'Edit it')),
        ...reportList(report),
      ),
    ),
  );
}

async function sendFile(file: File, visibility: 'public' | 'private'): Promise<ImportResponse> {
  const form = new FormData();
  form.append('visibility', visibility);
  form.append('file', file, file.name);
  const key = apiKey();
  const response = await fetch('/personas/import', { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {}, body: form });
  const body = (await response.json()) as ImportResponse & { code?: string; message?: string };
  if (!response.ok) throw new ApiError(response.status, body.code ?? 'HTTP_ERROR', body.message ?? `HTTP ${response.status}`);
  return body;
}

export function importPanel(onImported: (imported: ImportResponse) => void): HTMLElement {
  const status = statusLine();
  const result = el('div');
  const publicId = uniqueId('import-public');
  const makePublic = el('input', { type: 'checkbox', id: publicId });
  const picker = el('input', { type: 'file', accept: '.json,.png,.charx,application/json,image/png,application/zip', id: uniqueId('import-file') });

  const upload = async (file: File) => {
    status.textContent = `Importing ${file.name}…`;
    replaceChildren(result);
    try {
      const imported = await sendFile(file, makePublic.checked ? 'public' : 'private');
      status.textContent =
        imported.kind === 'lorebook'
          ? `Imported the lorebook ${imported.lorebook.book.name}.`
          : `Imported ${(imported.kind === 'persona' ? [imported] : imported.personas).map(({ persona }) => persona.definition.name).join(', ')}.`;
      replaceChildren(result, reportView(imported));
      onImported(imported);
    } catch (error) {
      status.textContent = `Import failed: ${(error as Error).message}`;
    }
  };

  const zone = el(
    'div',
    { class: 'dropzone', 'data-testid': 'dropzone' },
    el('p', {}, 'Drop a character (JSON, card PNG, CHARX) or a lorebook here, or '),
    el('label', { for: picker.id }, 'choose a file'),
    picker,
  );
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void upload(file);
  });
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    if (file) void upload(file);
    picker.value = '';
  });
  return el('section', { class: 'card', 'aria-labelledby': 'import-heading' }, el('h2', { id: 'import-heading' }, 'Import'), zone, el('div', { class: 'checks' }, el('label', { for: publicId }, makePublic, 'make it public')), status, result);
}
