import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/markdown';
import { loadMarkdown, plainTextHtml, replyHtml } from '../src/reply-html';

describe('replyHtml', () => {
  const reply = '**Tides** <b>tonight</b>\n\n- high at six\n- low at noon\n\n| a |\n| - |\n| 1 |';

  // One test: the module's renderer is loaded once per process, so before and after are steps of the same run.
  it('shows escaped plain text until the Markdown renderer is loaded, then Markdown', async () => {
    expect(replyHtml(reply)).toBe('**Tides** &lt;b&gt;tonight&lt;/b&gt;<br><br>- high at six<br>- low at noon<br><br>| a |<br>| - |<br>| 1 |');
    await Promise.all([loadMarkdown(), loadMarkdown()]);
    expect(replyHtml(reply)).toBe(renderMarkdown(reply));
    expect(replyHtml(reply)).toMatch(/<strong>Tides<\/strong>[\s\S]*<ul>[\s\S]*<table>/);
    expect(replyHtml(reply)).not.toContain('<b>');
  });

  it('plain text leaves no markup of the input', () => {
    expect(plainTextHtml(`<img src=x onerror="a('1')">\r\n&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;<br>&amp;');
  });
});
