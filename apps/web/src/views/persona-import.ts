// Import by drag and drop (or a file picker, for the keyboard): a character JSON, card PNG or CHARX goes to
// POST /personas/import and the mapping report is shown.
import { el, replaceChildren, statusLine, uniqueId } from '../dom';
import { request } from '../api';
import type { Persona } from '../types';

interface ImportReport {
  format: string;
  container: string;
  mapped: { from: string; to: string }[];
  dropped: { field: string; reason: string }[];
  warnings: string[];
}

/** Base64 in chunks: String.fromCharCode over a whole file overflows the call stack on large PNGs. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let offset = 0; offset < bytes.length; offset += 0x8000) binary += String.fromCharCode(...bytes.subarray(offset, offset + 0x8000));
  return btoa(binary);
}

function reportView(persona: Persona, report: ImportReport): HTMLElement {
  return el(
    'div',
    { class: 'import-report', 'data-testid': 'import-report' },
    el('p', {}, `Imported “${persona.definition.name}” from ${report.format} (${report.container}). `, el('a', { href: `#/studio/${encodeURIComponent(persona.id)}` }, 'Edit it')),
    el('h3', {}, `Mapped (${report.mapped.length})`),
    el('ul', { class: 'small' }, report.mapped.map((entry) => el('li', {}, `${entry.from} → ${entry.to}`))),
    report.dropped.length > 0 ? el('h3', {}, `Dropped (${report.dropped.length})`) : null,
    el('ul', { class: 'small' }, report.dropped.map((entry) => el('li', {}, `${entry.field}: ${entry.reason}`))),
    report.warnings.length > 0 ? el('ul', { class: 'small' }, report.warnings.map((warning) => el('li', {}, `⚠ ${warning}`))) : null,
  );
}

export function importPanel(onImported: (persona: Persona) => void): HTMLElement {
  const status = statusLine();
  const result = el('div');
  const publicId = uniqueId('import-public');
  const makePublic = el('input', { type: 'checkbox', id: publicId });
  const picker = el('input', { type: 'file', accept: '.json,.png,.charx,application/json,image/png', id: uniqueId('import-file') });

  const upload = async (file: File) => {
    status.textContent = `Importing ${file.name}…`;
    replaceChildren(result);
    try {
      const contentBase64 = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      const { persona, report } = await request<{ persona: Persona; report: ImportReport }>('POST', '/personas/import', {
        contentBase64,
        fileName: file.name,
        visibility: makePublic.checked ? 'public' : 'private',
      });
      status.textContent = `Imported ${persona.definition.name}.`;
      replaceChildren(result, reportView(persona, report));
      onImported(persona);
    } catch (error) {
      status.textContent = `Import failed: ${(error as Error).message}`;
    }
  };

  const zone = el(
    'div',
    { class: 'dropzone', 'data-testid': 'dropzone' },
    el('p', {}, 'Drop a character JSON, card PNG or CHARX here, or '),
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
