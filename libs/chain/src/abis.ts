// The contracts' interfaces as ethers reads them, for processes that call the contracts but never compile them.
export const TWIN_SHARES_ABI = [
  'function createTwin(bytes32 twinId)',
  'function buyShares(bytes32 twinId, uint256 amount) payable',
  'function sellShares(bytes32 twinId, uint256 amount, uint256 minProceeds)',
  'function withdrawFees()',
  'function sharesOf(bytes32 twinId, address holder) view returns (uint256)',
  'function supplyOf(bytes32 twinId) view returns (uint256)',
  'function creatorOf(bytes32 twinId) view returns (address)',
  'function buyPrice(bytes32 twinId, uint256 amount) view returns (uint256)',
  'function sellPrice(bytes32 twinId, uint256 amount) view returns (uint256)',
  'function buyPriceAfterFees(bytes32 twinId, uint256 amount) view returns (uint256)',
  'function sellPriceAfterFees(bytes32 twinId, uint256 amount) view returns (uint256)',
  'function feesOwed(address) view returns (uint256)',
  'event Trade(bytes32 indexed twinId, address indexed trader, bool isBuy, uint256 amount, uint256 price, uint256 protocolFee, uint256 creatorFee, uint256 supplyAfter)',
] as const;

export const NODE_PAYOUTS_ABI = [
  'function postRoot(bytes32 root, uint256 totalCumulative)',
  'function claim(uint256 cumulativeAmount, bytes32[] proof, address recipient)',
  'function verify(address node, uint256 cumulativeAmount, bytes32[] proof) view returns (bool)',
  'function merkleRoot() view returns (bytes32)',
  'function epoch() view returns (uint256)',
  'function claimed(address) view returns (uint256)',
  'event RootPosted(uint256 indexed epoch, bytes32 root, uint256 totalCumulative)',
  'event Claimed(address indexed node, address indexed recipient, uint256 amount, uint256 cumulativeAmount)',
] as const;

export const RECEIPT_REGISTRY_ABI = [
  'function postBatch(uint256 batchId, bytes32 root, uint64 count)',
  'function batchOf(uint256 batchId) view returns (bytes32 root, uint64 count, uint64 postedAtBlock)',
  'function leafOf(bytes32 receiptDigest) pure returns (bytes32)',
  'function verifyLeaf(bytes32 leaf, bytes32[] proof, uint256 batchId) view returns (bool)',
  'function verifyInclusion(bytes32 receiptDigest, bytes32[] proof, uint256 batchId) view returns (bool)',
  'function poster() view returns (address)',
  'event BatchPosted(uint256 indexed batchId, bytes32 root, uint256 count)',
] as const;
