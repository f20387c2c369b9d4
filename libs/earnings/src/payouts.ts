// Settles the ledger on chain: post the Merkle root of every node's cumulative earnings to NodePayouts, and claim a
// node's share with its proof.
import { Contract, getAddress, type Signer } from 'ethers';
import { NODE_PAYOUTS_ABI } from '@doppel/chain';
import type { EarningsRepository } from './earnings.repository';
import { buildPayoutTree } from './merkle';

export interface PostedEpoch {
  epochId: string;
  root: string;
  totalWei: bigint;
  nodes: number;
  txHash: string;
}

export interface Claim {
  node: string;
  recipient: string;
  amountWei: bigint;
  cumulativeWei: bigint;
  txHash: string;
}

export class NothingToClaimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NothingToClaimError';
  }
}

/** Posts the root of cumulative earnings through the newest ledger row; null when the ledger is empty. */
export async function postPayoutRoot(earnings: EarningsRepository, contractAddress: string, chainId: number, poster: Signer): Promise<PostedEpoch | null> {
  const { throughId, totals } = await earnings.cumulativeThrough();
  if (totals.length === 0) return null;
  const tree = buildPayoutTree(totals.map((total) => ({ node: total.nodeAddress, cumulativeWei: total.cumulativeWei })));
  const totalWei = totals.reduce((sum, total) => sum + total.cumulativeWei, 0n);
  const epochId = await earnings.saveEpoch({
    root: tree.root,
    throughId,
    totalWei,
    contract: contractAddress,
    chainId,
    leaves: totals.map((total) => ({ ...total, proof: tree.proofs.get(total.nodeAddress)! })),
  });
  const contract = new Contract(contractAddress, NODE_PAYOUTS_ABI, poster);
  const tx = await contract.getFunction('postRoot')(tree.root, totalWei);
  await tx.wait();
  await earnings.markPosted(epochId, tx.hash);
  return { epochId, root: tree.root, totalWei, nodes: totals.length, txHash: tx.hash };
}

/** Claims what the node (the signer: only a node's own key can claim) has earned and not yet claimed. */
export async function claimPayout(earnings: EarningsRepository, contractAddress: string, node: Signer, recipient?: string): Promise<Claim> {
  const nodeAddress = getAddress(await node.getAddress());
  const leaf = await earnings.latestLeaf(nodeAddress, contractAddress);
  if (!leaf) throw new NothingToClaimError(`No posted payout epoch names node ${nodeAddress} on ${contractAddress}.`);
  const contract = new Contract(contractAddress, NODE_PAYOUTS_ABI, node);
  const onChainRoot = (await contract.getFunction('merkleRoot')()) as string;
  if (onChainRoot !== leaf.root) throw new NothingToClaimError(`The contract's root ${onChainRoot} is not the newest epoch recorded here (${leaf.root}); post again or wait for the next post.`);
  const claimed = (await contract.getFunction('claimed')(nodeAddress)) as bigint;
  if (leaf.cumulativeWei <= claimed) throw new NothingToClaimError(`Node ${nodeAddress} has claimed all ${claimed} wei it has earned so far.`);
  const to = getAddress(recipient ?? nodeAddress);
  const tx = await contract.getFunction('claim')(leaf.cumulativeWei, leaf.proof, to);
  await tx.wait();
  return { node: nodeAddress, recipient: to, amountWei: leaf.cumulativeWei - claimed, cumulativeWei: leaf.cumulativeWei, txHash: tx.hash };
}
