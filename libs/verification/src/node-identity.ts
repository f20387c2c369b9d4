// A node's Ethereum identity: a key given by config, or generated on first start and kept in an encrypted
// JSON keystore (scrypt) so the node keeps its address across restarts.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Wallet, type HDNodeWallet } from 'ethers';

export type NodeWallet = Wallet | HDNodeWallet;

export async function loadNodeWallet(options: { privateKey?: string; keystorePath: string; keystorePassword?: string }): Promise<NodeWallet> {
  if (options.privateKey) return new Wallet(options.privateKey);
  if (!options.keystorePassword) {
    throw new Error('NODE_KEYSTORE_PASSWORD is required to open or create the node keystore (or set NODE_PRIVATE_KEY)');
  }
  let json: string | null = null;
  try {
    json = await readFile(options.keystorePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (json !== null) {
    try {
      return await Wallet.fromEncryptedJson(json, options.keystorePassword);
    } catch {
      throw new Error(`cannot open the node keystore ${options.keystorePath}: wrong NODE_KEYSTORE_PASSWORD or a damaged file`);
    }
  }
  const wallet = Wallet.createRandom();
  await mkdir(dirname(options.keystorePath), { recursive: true });
  await writeFile(options.keystorePath, await wallet.encrypt(options.keystorePassword), { mode: 0o600 });
  return wallet;
}
