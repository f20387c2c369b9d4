// Starts a real local JSON-RPC chain node (hardhat's, run in its own process) for tests and development.
// Why hardhat 2: it is maintained, MIT, runs on Node 20 (hardhat 3's EDR needs Node 22), mines instantly, and its
// `node` task compiles nothing, so it downloads nothing; CI=true keeps it from asking anything on stdin.
// See docs/economics.md ("The local chain") for the comparison with ganache.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { HDNodeWallet, JsonRpcProvider, Mnemonic } from 'ethers';

export const LOCAL_CHAIN_MNEMONIC = 'test test test test test test test test test test test junk';

export interface LocalChainAccount {
  address: string;
  privateKey: string;
}

export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  /** Ten accounts funded with 10,000 ETH each; keys are the well-known hardhat test keys — never use them elsewhere. */
  accounts: LocalChainAccount[];
  /** A provider on rpcUrl that polls fast (the default 4 s polling interval makes `tx.wait()` slow on a local chain). */
  provider(): JsonRpcProvider;
  stop(): Promise<void>;
}

export interface LocalChainOptions {
  /** 0 (default): a free port. */
  port?: number;
  chainId?: number;
  /** How long to wait for the node to answer eth_chainId. */
  startTimeoutMs?: number;
  /** Where the node's output goes (default: kept in memory and shown only if it fails to start). */
  log?: (line: string) => void;
}

const HARDHAT_CLI = () => require.resolve('hardhat/internal/cli/cli.js');
const HARDHAT_CONFIG = resolve(__dirname, '../hardhat/hardhat.config.cjs');

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export function localChainAccounts(count = 10): LocalChainAccount[] {
  const mnemonic = Mnemonic.fromPhrase(LOCAL_CHAIN_MNEMONIC);
  return Array.from({ length: count }, (_, index) => {
    const wallet = HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${index}`);
    return { address: wallet.address, privateKey: wallet.privateKey };
  });
}

async function answersChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(body.result) : undefined;
  } catch {
    return undefined;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) resolveExit();
    else child.once('exit', () => resolveExit());
  });
}

export async function startLocalChain(options: LocalChainOptions = {}): Promise<LocalChain> {
  const port = options.port || (await freePort());
  const chainId = options.chainId ?? 31337;
  const rpcUrl = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, [HARDHAT_CLI(), 'node', '--config', HARDHAT_CONFIG, '--hostname', '127.0.0.1', '--port', String(port)], {
    cwd: resolve(__dirname, '../hardhat'),
    env: { ...process.env, CI: 'true', HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DOPPEL_CHAIN_ID: String(chainId), DOPPEL_CHAIN_MNEMONIC: LOCAL_CHAIN_MNEMONIC },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      if (options.log) options.log(line);
      else if (output.length < 200) output.push(line);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local chain exited with ${child.exitCode} before answering:\n${output.join('\n')}`);
    const answeredChainId = await answersChainId(rpcUrl);
    if (answeredChainId === chainId) break;
    if (answeredChainId !== undefined) {
      await stop();
      throw new Error(`port ${port} answers as chain ${answeredChainId}, not the local chain ${chainId}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the local chain did not answer on ${rpcUrl} within ${options.startTimeoutMs ?? 60_000} ms:\n${output.join('\n')}`);
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }

  const providers: JsonRpcProvider[] = [];
  return {
    rpcUrl,
    chainId,
    accounts: localChainAccounts(),
    provider: () => {
      const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, pollingInterval: 50, cacheTimeout: -1 });
      providers.push(provider);
      return provider;
    },
    stop: async () => {
      for (const provider of providers) provider.destroy();
      await stop();
    },
  };
}
