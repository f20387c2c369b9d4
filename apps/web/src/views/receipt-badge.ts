// A reply's receipt: its level and serving node, and a button that checks it here in the browser.
import type { TurnVerification } from '@doppel/protocol';
import { el, replaceChildren } from '../dom';
import type { ReceiptUnderCheck } from '../receipt-check';

export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

export function receiptBadge(verification: TurnVerification, expected: { turnId: string; conversationId: string; replyText: string }): HTMLElement {
  const node = String((verification.receipt as { message?: { node?: string } }).message?.node ?? '');
  const result = el('span', { class: 'verify-result', role: 'status', 'aria-live': 'polite' });
  const button = el('button', { type: 'button', class: 'small secondary', 'aria-label': 'Verify this reply’s receipt in the browser' }, 'Verify');
  button.addEventListener('click', async () => {
    button.disabled = true;
    replaceChildren(result, 'checking…');
    try {
      // The checker (and ethers with it) loads only when someone asks for a check.
      const { checkReceipt } = await import('../receipt-check');
      const outcome = await checkReceipt(verification as unknown as ReceiptUnderCheck, expected);
      result.className = `verify-result ${outcome.valid ? 'ok' : 'bad'}`;
      replaceChildren(
        result,
        outcome.valid
          ? `✓ verified in your browser: signed by ${shortAddress(outcome.signer ?? node)}${outcome.reexecSigner ? `, re-executed by ${shortAddress(outcome.reexecSigner)}` : ''}`
          : `✗ not valid: ${outcome.problems.join('; ')}`,
      );
    } catch (error) {
      result.className = 'verify-result bad';
      replaceChildren(result, `✗ could not check: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  });
  const reexec = verification.reexec ? ` · re-execution ${verification.reexec}` : '';
  return el(
    'div',
    { class: 'receipt' },
    el('span', { class: `badge level-${verification.level.replace('+', '-')}`, title: `receipt ${verification.receiptId}` }, `${verification.level}${reexec}`),
    el('span', { class: 'small muted', title: node }, `node ${shortAddress(node)}`),
    button,
    result,
  );
}
