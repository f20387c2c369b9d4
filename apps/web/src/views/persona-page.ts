// A persona's page: who it is and, for a persona open to holders of a twin's shares, the market (price, supply, your
// holding) with buy and sell through the consumer's injected wallet, then the way into the chat.
import { el, replaceChildren, statusLine } from '../dom';
import { ApiError, request } from '../api';
import type { TwinMarketView as TwinMarket } from '@doppel/protocol';
import type { Persona } from '../types';
import { connectWallet, encodeBuyShares, encodeSellShares, formatEth, injectedWallet, sendAndWait, signText } from '../wallet';
import { avatarImage } from './avatar';
import { startConversation } from './gallery';

function figure(label: string, value: string, testId: string): HTMLElement {
  return el('div', { class: 'figure' }, el('span', { class: 'small muted' }, label), el('span', { class: 'value', 'data-testid': testId }, value));
}

export function renderPersonaPage(main: HTMLElement, personaId: string): () => void {
  const status = statusLine('Loading…');
  const body = el('div', {});
  replaceChildren(main, body, status);
  let closed = false;
  let market: TwinMarket | null = null;
  let persona: Persona | null = null;

  const fail = (error: unknown) => {
    if (!closed) status.textContent = (error as Error).message;
  };

  /** The linked wallet, linking the injected one first (Sign-In with Ethereum) when none is. */
  const linkedWallet = async (): Promise<string> => {
    const address = await connectWallet();
    const linked = await request<{ address: string | null }>('GET', '/wallets/me');
    if (linked.address?.toLowerCase() === address.toLowerCase()) return linked.address;
    status.textContent = 'Sign the message in your wallet to link it to your account…';
    const challenge = await request<{ message: string }>('POST', '/wallets/challenge', { address });
    const signature = await signText(address, challenge.message);
    return (await request<{ address: string }>('POST', '/wallets/link', { message: challenge.message, signature })).address;
  };

  const trade = async (side: 'buy' | 'sell') => {
    const gate = persona!.definition.sharesGate!;
    const from = await linkedWallet();
    const current = await request<TwinMarket>('GET', `/twins/${gate.twinId}/market`);
    status.textContent = side === 'buy' ? `Confirm buying 1 share for ${formatEth(current.nextShareCostWei)} in your wallet…` : 'Confirm selling 1 share in your wallet…';
    const mined = await sendAndWait(
      side === 'buy'
        ? { from, to: current.contract, data: encodeBuyShares(gate.twinId, 1n), value: BigInt(current.nextShareCostWei) }
        : // The proceeds shown are the least accepted: a sale that would pay less (someone sold first) reverts instead.
          { from, to: current.contract, data: encodeSellShares(gate.twinId, 1n, BigInt(current.sellOneProceedsWei)) },
    );
    status.textContent = side === 'buy' ? 'Bought 1 share.' : 'Sold 1 share.';
    // The gateway answers from the latest block it has seen; wait until that includes the trade.
    for (let attempt = 0; attempt < 20; attempt++) {
      await loadMarket();
      if (!market || market.block >= mined.blockNumber) break;
      await new Promise((wait) => setTimeout(wait, 300));
    }
  };

  const button = (label: string, testId: string, action: () => Promise<void>) => {
    const node = el('button', { type: 'button', 'data-testid': testId }, label);
    node.addEventListener('click', () => {
      node.disabled = true;
      action()
        .catch(fail)
        .finally(() => (node.disabled = false));
    });
    return node;
  };

  const marketSection = el('section', { 'aria-labelledby': 'shares-heading' });
  const renderMarket = () => {
    const gate = persona!.definition.sharesGate!;
    const held = market?.held === null || market?.held === undefined ? null : BigInt(market.held);
    replaceChildren(
      marketSection,
      el('h2', { id: 'shares-heading' }, 'Twin shares'),
      el('p', {}, `Open to holders of at least ${gate.minShares} share${gate.minShares === 1 ? '' : 's'} of this twin.`),
      market
        ? el(
            'div',
            { class: 'figures' },
            figure('next share costs (fees included)', formatEth(market.nextShareCostWei), 'share-price'),
            figure('shares in circulation', market.supply, 'share-supply'),
            figure('your holding', held === null ? 'no wallet linked' : `${held}`, 'share-holding'),
          )
        : el('p', { class: 'muted' }, 'Market unavailable.'),
      market ? el('p', { class: 'small muted' }, `TwinShares ${market.contract} on chain ${market.chainId}, block ${market.block}; twin ${gate.twinId}`) : null,
      injectedWallet()
        ? el('div', { class: 'toolbar' }, button('Buy 1 share', 'buy-share', () => trade('buy')), held !== null && held > 0n ? button('Sell 1 share', 'sell-share', () => trade('sell')) : null)
        : el('p', { class: 'muted' }, 'Install an Ethereum wallet extension to buy shares here.'),
    );
  };

  const loadMarket = async () => {
    const gate = persona?.definition.sharesGate;
    if (!gate) return;
    try {
      market = await request<TwinMarket>('GET', `/twins/${gate.twinId}/market`);
    } catch (error) {
      market = null;
      if (!(error instanceof ApiError)) throw error;
      status.textContent = error.message;
    }
    if (!closed) renderMarket();
  };

  void request<Persona>('GET', `/personas/${encodeURIComponent(personaId)}`)
    .then(async (loaded) => {
      persona = loaded;
      const { definition } = loaded;
      const chat = button('Chat', 'start-chat', () => startConversation(loaded.id));
      replaceChildren(
        body,
        el('div', { class: 'persona-head' }, avatarImage(definition, 'full', 'avatar'), el('h1', {}, definition.name)),
        el('p', {}, definition.description || 'No description.'),
        definition.sharesGate ? marketSection : null,
        chat,
      );
      status.textContent = '';
      await loadMarket();
    })
    .catch(fail);
  return () => {
    closed = true;
  };
}
