// The consumer's own wallet, reached through the EIP-1193 provider a browser extension injects (window.ethereum).
// Keys never leave the wallet: the page asks it to sign the link message and to send share trades.
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export class WalletError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalletError';
  }
}

export function injectedWallet(): Eip1193Provider | null {
  const candidate = (globalThis as { ethereum?: Eip1193Provider }).ethereum;
  return candidate && typeof candidate.request === 'function' ? candidate : null;
}

function requireWallet(): Eip1193Provider {
  const wallet = injectedWallet();
  if (!wallet) throw new WalletError('No wallet found in this browser: install an Ethereum wallet extension (EIP-1193) and reload.');
  return wallet;
}

export async function connectWallet(): Promise<string> {
  const accounts = (await requireWallet().request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts?.[0]) throw new WalletError('The wallet shared no account.');
  return accounts[0];
}

const utf8Hex = (text: string) => `0x${Array.from(new TextEncoder().encode(text), (byte) => byte.toString(16).padStart(2, '0')).join('')}`;

/** personal_sign (EIP-191) of a text message; the wallet shows the text to its owner. */
export async function signText(address: string, message: string): Promise<string> {
  return (await requireWallet().request({ method: 'personal_sign', params: [utf8Hex(message), address] })) as string;
}

// Function selectors: the first four bytes of keccak256 of each signature (checked against ethers in wallet.spec.ts).
export const SELECTORS = { buyShares: '0x6d2d75ec', sellShares: '0xebc66d27' } as const;

const word = (value: bigint | string) => {
  const hex = typeof value === 'bigint' ? value.toString(16) : value.replace(/^0x/, '');
  if (hex.length > 64 || !/^[0-9a-fA-F]*$/.test(hex)) throw new WalletError(`cannot encode ${String(value)} as a 32-byte word`);
  return hex.padStart(64, '0');
};

export const encodeBuyShares = (twinId: string, amount: bigint) => `${SELECTORS.buyShares}${word(twinId)}${word(amount)}`;
export const encodeSellShares = (twinId: string, amount: bigint, minProceeds: bigint) => `${SELECTORS.sellShares}${word(twinId)}${word(amount)}${word(minProceeds)}`;

/** Sends a transaction from the wallet and waits until it is mined; throws when it reverted. Returns its block. */
export async function sendAndWait(tx: { from: string; to: string; data: string; value?: bigint }, timeoutMs = 120_000): Promise<{ hash: string; blockNumber: number }> {
  const wallet = requireWallet();
  const hash = (await wallet.request({
    method: 'eth_sendTransaction',
    params: [{ from: tx.from, to: tx.to, data: tx.data, value: `0x${(tx.value ?? 0n).toString(16)}` }],
  })) as string;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const receipt = (await wallet.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as { status?: string; blockNumber?: string } | null;
    if (receipt) {
      if (receipt.status !== '0x1') throw new WalletError(`Transaction ${hash} reverted.`);
      return { hash, blockNumber: Number(receipt.blockNumber ?? 0) };
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  throw new WalletError(`Transaction ${hash} was not mined within ${timeoutMs / 1000} s.`);
}

/** Wei as ETH text with up to 6 decimals, or as gwei when smaller than that shows (display only). */
export function formatEth(wei: string | bigint): string {
  const value = BigInt(wei);
  if (value > 0n && value < 10n ** 12n) return `${(Number(value) / 1e9).toLocaleString('en', { maximumSignificantDigits: 4 })} gwei`;
  const whole = value / 10n ** 18n;
  const fraction = (value % 10n ** 18n).toString().padStart(18, '0').slice(0, 6).replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} ETH`;
}
