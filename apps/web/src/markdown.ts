// Chat replies and model cards as HTML, through markdown-it with raw HTML off: every character of the input reaches
// the page as escaped text or inside a tag markdown-it writes (lists, code blocks, tables, quotes, emphasis, links).
// Links only ever point to http(s), and images are not rendered (a reply must not make the browser fetch anything).
// markdown-it is ~41 KiB gzip: the chat view loads this module on demand, through reply-html.ts.
import MarkdownIt from 'markdown-it';
import { escapeHtml } from './escape-html';

const SAFE_URL = /^https?:\/\/[^\s]+$/i;

const markdown = new MarkdownIt({ html: false, linkify: false, breaks: true, typographer: false }).disable('image');

markdown.validateLink = (url) => SAFE_URL.test(url.trim());

// `*` and `_` inside a word (snake_case, 2*3*4) stay text: replies are full of both.
class ReplyInlineState extends markdown.inline.State {
  override scanDelims(start: number, _canSplitWord: boolean) {
    return super.scanDelims(start, false);
  }
}
markdown.inline.State = ReplyInlineState;

type RenderRule = NonNullable<typeof markdown.renderer.rules.fence>;
const rules = markdown.renderer.rules;
rules.text = (tokens, index) => escapeHtml(tokens[index]!.content);
rules.code_inline = (tokens, index, _options, _env, renderer) => `<code${renderer.renderAttrs(tokens[index]!)}>${escapeHtml(tokens[index]!.content)}</code>`;
const codeBlock: RenderRule = (tokens, index) => `<pre><code>${escapeHtml(tokens[index]!.content.replace(/\n$/, ''))}</code></pre>\n`;
// The info string (```js) names no class: nothing of the input becomes an attribute but a checked URL.
rules.fence = codeBlock;
rules.code_block = codeBlock;
rules.link_open = (tokens, index, options, _env, renderer) => {
  tokens[index]!.attrSet('rel', 'noopener noreferrer nofollow');
  tokens[index]!.attrSet('target', '_blank');
  return renderer.renderToken(tokens, index, options);
};

// Replies sit inside the page's own headings: # becomes h3.
markdown.core.ruler.push('headings_from_h3', (state) => {
  for (const token of state.tokens) {
    if (token.type === 'heading_open' || token.type === 'heading_close') token.tag = `h${Math.min(6, Number(token.tag.slice(1)) + 2)}`;
  }
});

/** Returns HTML built only from escaped input plus the tags markdown-it writes. */
export function renderMarkdown(source: string): string {
  return markdown.render(source).trimEnd();
}
