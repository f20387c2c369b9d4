// Chat messages as HTML without markdown-it in the first load: the Markdown renderer is imported on demand, and
// until it is there a message shows as escaped plain text, which the chat pane renders again once it arrives.
import { escapeHtml } from './escape-html';

type Render = (source: string) => string;

let render: Render | null = null;
let loading: Promise<void> | null = null;

/** Starts loading the Markdown renderer, once; a failed load (the network) is tried again on the next call. */
export function loadMarkdown(): Promise<void> {
  loading ??= import('./markdown').then(
    (module) => {
      render = module.renderMarkdown;
    },
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

/** Escaped text with its line breaks: every character of the input reaches the page as text. */
export function plainTextHtml(source: string): string {
  return escapeHtml(source).replace(/\r?\n/g, '<br>');
}

/** Markdown as HTML once the renderer is loaded (see markdown.ts), escaped plain text before. */
export function replyHtml(source: string): string {
  return render ? render(source) : plainTextHtml(source);
}
