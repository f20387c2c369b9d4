import { describe, expect, it } from 'vitest';
import { escapeHtml, renderMarkdown } from '../src/markdown';

describe('renderMarkdown', () => {
  it('escapes every HTML-significant character before formatting', () => {
    expect(renderMarkdown('<script>alert("x")</script> & \'quotes\'')).toBe('<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;</p>');
    expect(renderMarkdown('<img src=x onerror=alert(1)>')).not.toContain('<img');
  });

  it('renders emphasis, code, lists, headings, quotes and fenced code', () => {
    expect(renderMarkdown('**bold** and *soft* and `a<b`')).toBe('<p><strong>bold</strong> and <em>soft</em> and <code>a&lt;b</code></p>');
    expect(renderMarkdown('- one\n- two\n\n1. first')).toBe('<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>');
    expect(renderMarkdown('# Title')).toBe('<h3>Title</h3>');
    expect(renderMarkdown('> said')).toBe('<blockquote>said</blockquote>');
    expect(renderMarkdown('```\n<b>**x**</b>\n```')).toBe('<pre><code>&lt;b&gt;**x**&lt;/b&gt;</code></pre>');
  });

  it('keeps an unclosed fence (a reply still streaming) as code', () => {
    expect(renderMarkdown('look:\n```\nlet a = 1')).toBe('<p>look:</p><pre><code>let a = 1</code></pre>');
  });

  it('links only http(s) URLs, and never lets a URL break out of its attribute', () => {
    expect(renderMarkdown('[site](https://example.org/a?b=1&c=2)')).toBe(
      '<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">site</a></p>',
    );
    expect(renderMarkdown('[click](javascript:alert(1))')).not.toContain('<a');
    expect(renderMarkdown('[x](https://e.org/"onmouseover="alert(1))')).not.toContain('"onmouseover');
  });

  it('does not treat snake_case or 2*3*4 as emphasis', () => {
    expect(renderMarkdown('snake_case_name and 2*3*4')).toBe('<p>snake_case_name and 2*3*4</p>');
  });

  it('escapeHtml covers the five characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});
