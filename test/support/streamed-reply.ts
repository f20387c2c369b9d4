// Watching a reply stream into the web app's chat pane, for the browser specs. Page scripts are strings: this
// project's TypeScript has no DOM types outside apps/web.
import type { Page } from 'playwright-core';

/** Text as rendered: Markdown markers and whitespace differ between the source and the page, the words do not. */
export const visibleText = (text: string | null) => (text ?? '').replace(/[\s*_`#>]/g, '');

/** Records every distinct text the last reply shows from now on (read it with `partialRenders`). */
export async function recordReplyRenders(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const renders = [];
    window.renders = renders;
    new MutationObserver(() => {
      const replies = document.querySelectorAll('.message.assistant .body');
      const text = replies[replies.length - 1]?.textContent ?? '';
      if (renders[renders.length - 1] !== text) renders.push(text);
    }).observe(document.querySelector('.messages'), { childList: true, subtree: true, characterData: true });
  })()`);
}

/** The recorded texts that were neither empty nor the whole reply: above 0, the text arrived in pieces. */
export async function partialRenders(page: Page, finalText: string): Promise<string[]> {
  const renders = await page.evaluate<string[]>('window.renders');
  return renders.filter((text) => text.length > 0 && text.length < finalText.length);
}
