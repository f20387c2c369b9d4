// An ethers provider for a configured chain: fixed network (no detection loop when the node is down) and a per-request timeout.
import { FetchRequest, JsonRpcProvider, Network } from 'ethers';

export function chainProvider(rpcUrl: string, chainId: number, timeoutMs: number): JsonRpcProvider {
  const request = new FetchRequest(rpcUrl);
  request.timeout = timeoutMs;
  return new JsonRpcProvider(request, Network.from(chainId), { staticNetwork: Network.from(chainId), batchMaxCount: 1 });
}
