import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/escape-html';
import { renderMarkdown } from '../src/markdown';

describe('renderMarkdown', () => {
  it('escapes every HTML-significant character before formatting', () => {
    expect(renderMarkdown('<script>alert("x")</script> & \'quotes\'')).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>');
    expect(renderMarkdown('<img src=x onerror=alert(1)>')).not.toContain('<img');
  });

  it('leaves raw HTML as text in every position: block, inline, inside lists, tables and code', () => {
    const hostile = ['<div onclick="x()">', '<iframe src="https://e.org">', '<svg/onload=alert(1)>', '<!-- c -->', '<a href="javascript:x">y</a>'];
    for (const html of hostile) {
      for (const source of [html, `text ${html} text`, `- ${html}`, `| a |\n| - |\n| ${html} |`, `\`${html}\``, `\`\`\`\n${html}\n\`\`\``]) {
        const rendered = renderMarkdown(source);
        expect(rendered, source).not.toMatch(/<(div|iframe|svg|!--)|<a /);
        expect(rendered, source).toContain('&lt;');
      }
    }
  });

  it('renders emphasis, code, lists, headings, quotes and fenced code', () => {
    expect(renderMarkdown('**bold** and *soft* and `a<b`')).toBe('<p><strong>bold</strong> and <em>soft</em> and <code>a&lt;b</code></p>');
    expect(renderMarkdown('- one\n- two\n\n1. first')).toBe('<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>');
    expect(renderMarkdown('# Title')).toBe('<h3>Title</h3>');
    expect(renderMarkdown('> said')).toBe('<blockquote>\n<p>said</p>\n</blockquote>');
    expect(renderMarkdown('```\n<b>**x**</b>\n```')).toBe('<pre><code>&lt;b&gt;**x**&lt;/b&gt;</code></pre>');
  });

  it('renders what a plain-text renderer did not: nested lists, tables, a language-tagged fence without its tag', () => {
    expect(renderMarkdown('- a\n  - b')).toBe('<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n</ul>');
    expect(renderMarkdown('| k | v |\n| --- | --- |\n| *a* | 1 |')).toBe(
      '<table>\n<thead>\n<tr>\n<th>k</th>\n<th>v</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td><em>a</em></td>\n<td>1</td>\n</tr>\n</tbody>\n</table>',
    );
    expect(renderMarkdown('```js" onclick="x\nlet a = 1;\n```')).toBe('<pre><code>let a = 1;</code></pre>');
  });

  it('keeps an unclosed fence (a reply still streaming) as code', () => {
    expect(renderMarkdown('look:\n```\nlet a = 1')).toBe('<p>look:</p>\n<pre><code>let a = 1</code></pre>');
  });

  it('keeps line breaks inside a paragraph', () => {
    expect(renderMarkdown('one\ntwo')).toBe('<p>one<br>\ntwo</p>');
  });

  it('links only http(s) URLs, and never lets a URL break out of its attribute', () => {
    expect(renderMarkdown('[site](https://example.org/a?b=1&c=2)')).toBe(
      '<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">site</a></p>',
    );
    expect(renderMarkdown('[click](javascript:alert(1))')).not.toContain('<a');
    expect(renderMarkdown('[x](https://e.org/"onmouseover="alert(1))')).not.toContain('"onmouseover');
    for (const url of ['JaVaScRiPt:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x', '//e.org/x', 'ftp://e.org/x']) {
      expect(renderMarkdown(`[x](${url})`), url).not.toContain('<a');
      expect(renderMarkdown(`<${url}>`), url).not.toContain('<a');
    }
    expect(renderMarkdown('[r]: javascript:alert(1)\n\n[x][r]')).not.toContain('<a');
  });

  it('renders no images: a reply cannot make the browser fetch a URL', () => {
    expect(renderMarkdown('![pixel](https://e.org/track.png)')).not.toContain('<img');
  });

  it('does not treat snake_case or 2*3*4 as emphasis', () => {
    expect(renderMarkdown('snake_case_name and 2*3*4')).toBe('<p>snake_case_name and 2*3*4</p>');
  });

  it('escapeHtml covers the five characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
