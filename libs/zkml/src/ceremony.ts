// Where a circuit's keys come from. Tests and the shipped model use a deterministic beacon ceremony: anyone can
// recompute its secret, so a proof made with it proves nothing against a cheating prover. It exists so the setup
// runs offline and reproducibly. Production uses a public powers-of-tau ceremony's final file, named here with
// its published hash and never downloaded by Doppel (apps/zk-prover/README.md says how to bring it).

export const TEST_CEREMONY = {
  /** Circuits up to 2^12 constraints (the shipped model needs 2^11; the benchmark's 10k-parameter model 2^12). */
  power: 12,
  /** sha256("Doppel insecure test ceremony v1"): the beacon of the powers of tau and of every circuit's phase 2. */
  beacon: 'c4e994d82af78180110d6cd1ba452788ed2984e62c476a67b856fc121314850c',
  /** sha256 of the prepared file it gives (4,720,088 bytes), as made here with snarkjs 0.7.6. */
  ptauSha256: '8e511c5c0fb26dc8e37e66d3f9bb76a585ded152b5b29a14b1efbfbdb8e0b27a',
  insecure: true,
} as const;

export const PRODUCTION_PTAU = {
  /**
   * The Polygon Hermez ceremony's final files, already prepared for phase 2 (powersOfTau28_hez_final_<power>.ptau),
   * with the blake2b-512 hashes published in snarkjs's README (snarkjs 0.7.6). An operator brings the file;
   * setup refuses it unless its hash matches (--ptau-blake2b).
   */
  name: 'powersOfTau28_hez_final',
  blake2b512: {
    11: '47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28ea07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33',
    12: 'ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a',
  },
} as const;
