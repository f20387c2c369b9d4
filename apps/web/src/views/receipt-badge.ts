// A reply's receipt: one badge per level it claims, its serving node, and a button that checks it here in the
// browser (zk included: the proof is checked here against the key the server publishes for the model). Levels the
// page cannot check itself (tee) are checked by the server's verifier, and say so. The persona's attached models'
// results (e.g. the reply's topic) are listed beside the badges. Verify also checks the receipt's settlement: the
// batch Merkle proof from GET /receipts/:id/inclusion, hashed here up to the batch root (not compared with the chain:
// the page has no RPC; the verify CLI's --rpc does that).
import type { TurnVerification } from '@doppel/protocol';
import { ApiError, request } from '../api';
import { el, replaceChildren } from '../dom';
import type { ReceiptUnderCheck } from '../receipt-check';
import type { Inclusion } from '@doppel/settlement';
import type { TrustedZkModel } from '@doppel/zkml';

export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

function levelsOf(verification: TurnVerification): string[] {
  if (Array.isArray(verification.levels)) return verification.levels;
  return verification.level === 'none' ? [] : verification.level.split('+');
}

export function receiptBadge(verification: TurnVerification, expected: { turnId: string; conversationId: string; replyText: string }): HTMLElement {
  const node = String((verification.receipt as { message?: { node?: string } }).message?.node ?? '');
  const levels = levelsOf(verification);
  const badges = new Map(
    levels.map((level) => [
      level,
      el('span', { class: `badge level-${level}`, title: `receipt ${verification.receiptId}`, 'data-level': level }, level === 'reexec' && verification.reexec ? `reexec ${verification.reexec}` : level),
    ]),
  );
  const mark = (level: string, outcome: 'ok' | 'bad', where: 'browser' | 'server') => {
    const badge = badges.get(level);
    if (!badge) return;
    badge.classList.add(outcome);
    badge.textContent = `${level} ${outcome === 'ok' ? '✓' : '✗'}${where === 'server' ? ' (server)' : ''}`;
  };
  const result = el('span', { class: 'verify-result', role: 'status', 'aria-live': 'polite' });
  const settlement = el('span', { class: 'settlement small', role: 'status', 'aria-live': 'polite', 'aria-label': 'settlement' });
  const button = el('button', { type: 'button', class: 'small secondary', 'aria-label': 'Verify this reply’s receipt in the browser' }, 'Verify');
  button.addEventListener('click', async () => {
    button.disabled = true;
    replaceChildren(result, 'checking…');
    const settled = showSettlement(verification, settlement);
    try {
      // The checker (and ethers with it) loads only when someone asks for a check.
      const { checkReceipt } = await import('../receipt-check');
      const outcome = await checkReceipt(verification as unknown as ReceiptUnderCheck, expected, (modelHash) =>
        request<TrustedZkModel>('GET', `/receipts/zk-keys/${encodeURIComponent(modelHash)}`),
      );
      for (const level of levels) if (!outcome.unchecked.includes(level)) mark(level, outcome.proven.includes(level) ? 'ok' : 'bad', 'browser');
      const problems = [...outcome.problems];
      if (outcome.unchecked.length > 0) {
        const server = await request<{ proven: string[]; reasons: string[] }>('POST', '/receipts/verify', { receipt: verification.receipt, transcript: verification.transcript });
        for (const level of outcome.unchecked) {
          const proven = server.proven.includes(level);
          mark(level, proven ? 'ok' : 'bad', 'server');
          if (!proven) problems.push(...server.reasons.filter((reason) => reason.startsWith(`${level}:`) || reason.includes(`level ${level}`)));
        }
      }
      const valid = problems.length === 0;
      result.className = `verify-result ${valid ? 'ok' : 'bad'}`;
      replaceChildren(
        result,
        valid
          ? `✓ verified in your browser: signed by ${shortAddress(outcome.signer ?? node)}${outcome.reexecSigner ? `, re-executed by ${shortAddress(outcome.reexecSigner)}` : ''}${outcome.unchecked.length > 0 ? `; ${outcome.unchecked.join(', ')} checked by the server` : ''}`
          : `✗ not valid: ${problems.join('; ')}`,
      );
    } catch (error) {
      result.className = 'verify-result bad';
      replaceChildren(result, `✗ could not check: ${(error as Error).message}`);
    } finally {
      await settled;
      button.disabled = false;
    }
  });
  const attachments = ((verification.receipt as { evidence?: { attachments?: { model: string; top: string; scores: Record<string, number> }[] } }).evidence?.attachments ?? []).map((attachment) =>
    el(
      'span',
      { class: 'small attachment', 'data-model': attachment.model, title: Object.entries(attachment.scores).map(([label, score]) => `${label} ${score.toFixed(2)}`).join(', ') },
      `${attachment.model}: ${attachment.top}`,
    ),
  );
  return el(
    'div',
    { class: 'receipt' },
    el('span', { class: 'levels', 'aria-label': `verification levels: ${levels.join(', ')}` }, ...badges.values()),
    ...attachments,
    el('span', { class: 'small muted', title: node }, `node ${shortAddress(node)}`),
    button,
    result,
    settlement,
  );
}

const ON_CHAIN_NOTE =
  'The Merkle proof was checked in your browser against the batch root the gateway reports. This page cannot read the chain: ' +
  'to see that root posted, compare it with ReceiptRegistry.batchOf(batch) (doppel-verify --inclusion FILE --rpc URL does).';

/** Fetches the receipt's batch inclusion and checks it here; writes the outcome into `into`. Never throws. */
async function showSettlement(verification: TurnVerification, into: HTMLElement): Promise<void> {
  const show = (outcome: 'ok' | 'bad' | 'pending', text: string, title = ON_CHAIN_NOTE) => {
    into.className = `settlement small ${outcome}`;
    into.title = title;
    replaceChildren(into, text);
  };
  show('pending', 'settlement: checking…');
  try {
    const inclusion = await request<Inclusion>('GET', `/receipts/${encodeURIComponent(verification.receiptId)}/inclusion`);
    const { checkSettlement } = await import('../receipt-check');
    const problems = await checkSettlement(verification.receipt as unknown as ReceiptUnderCheck['receipt'], verification.receiptId, inclusion);
    if (problems.length > 0) show('bad', `✗ inclusion proof does not match: ${problems.join('; ')}`);
    else if (!inclusion.txHash) show('pending', `not settled yet (batch ${inclusion.batchId} not posted)`);
    else show('ok', `settled ✓ batch ${inclusion.batchId} (tx ${shortAddress(inclusion.txHash)}${inclusion.blockNumber === null ? '' : `, block ${inclusion.blockNumber}`})`, `${ON_CHAIN_NOTE}\ntx ${inclusion.txHash}\nroot ${inclusion.root}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) show('pending', 'not settled yet', 'The receipt is in no settlement batch yet: batches form every few minutes where the gateway settles receipts.');
    else show('bad', `settlement not checked: ${(error as Error).message}`);
  }
}
