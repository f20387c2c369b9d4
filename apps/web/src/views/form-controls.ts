// Small form controls shared by the studio's editors: each calls back with the new value on every edit.
import { VERIFICATION_LEVEL_NAMES } from '@doppel/protocol';
import { el, uniqueId } from '../dom';

/** Creator text holds what real cards hold (the server takes 65,536 characters a field). */
export const TEXT_MAX = 65_536;

export const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);
export const commaList = (text: string) => text.split(',').map((item) => item.trim()).filter(Boolean);

export function textInput(value: string, onInput: (value: string) => void, attributes: Record<string, string | number | boolean> = {}): HTMLInputElement {
  const input = el('input', { type: 'text', value, ...attributes });
  input.addEventListener('input', () => onInput(input.value));
  return input;
}

export function textArea(value: string, onInput: (value: string) => void, rows = 3, maxlength: number = TEXT_MAX): HTMLTextAreaElement {
  const area = el('textarea', { rows, maxlength });
  area.value = value;
  area.addEventListener('input', () => onInput(area.value));
  return area;
}

export function numberInput(value: number, onInput: (value: number) => void, attributes: { min: number; max: number; step: number }): HTMLInputElement {
  const input = el('input', { type: 'number', value, ...attributes });
  input.addEventListener('input', () => {
    if (input.value !== '' && Number.isFinite(Number(input.value))) onInput(Number(input.value));
  });
  return input;
}

export function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement {
  const id = uniqueId('check');
  const input = el('input', { type: 'checkbox', id, checked });
  input.addEventListener('change', () => onChange(input.checked));
  return el('label', { for: id }, input, label);
}

export function select<T extends string>(options: readonly T[], value: T, onChange: (value: T) => void): HTMLSelectElement {
  const control = el('select', {}, options.map((option) => el('option', { value: option, selected: option === value }, option)));
  control.addEventListener('change', () => onChange(control.value as T));
  return control;
}

/**
 * A set of verification levels as checkboxes, one per level name; the value is the canonical label the server
 * uses ('none', 'signed', 'signed+reexec+tee'). Requirements between levels (tee needs signed) are the server's.
 */
export function levelPicker(label: string, value: string, onChange: (label: string) => void): { root: HTMLFieldSetElement; value: () => string } {
  const chosen = new Set(value === 'none' ? [] : value.split('+'));
  const current = () => {
    const names = VERIFICATION_LEVEL_NAMES.filter((name) => chosen.has(name));
    return names.length === 0 ? 'none' : names.join('+');
  };
  const boxes = VERIFICATION_LEVEL_NAMES.map((name) =>
    checkbox(name, chosen.has(name), (checked) => {
      if (checked) chosen.add(name);
      else chosen.delete(name);
      onChange(current());
    }),
  );
  const root = el('fieldset', { class: 'level-picker' }, el('legend', {}, label), ...boxes);
  return { root, value: current };
}
