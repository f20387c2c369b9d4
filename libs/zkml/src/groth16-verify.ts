// Groth16 verification over BN254 with @noble/curves (MIT), for proofs and keys in snarkjs's JSON layout. This is
// the Apache-2.0 side's verifier: the CLI, the gateway and the browser check proofs with it, never with snarkjs.
import { bn254 } from '@noble/curves/bn254';
import { FIELD_PRIME } from './fixed-point';

type G1Json = [string, string, string];
type G2Json = [[string, string], [string, string], [string, string]];

export interface Groth16VerificationKey {
  protocol: 'groth16';
  curve: 'bn128';
  nPublic: number;
  vk_alpha_1: G1Json;
  vk_beta_2: G2Json;
  vk_gamma_2: G2Json;
  vk_delta_2: G2Json;
  IC: G1Json[];
}

export interface Groth16Proof {
  pi_a: G1Json;
  pi_b: G2Json;
  pi_c: G1Json;
  protocol: 'groth16';
  curve: 'bn128';
}

const { G1, G2 } = bn254;
const { Fp2, Fp12 } = bn254.fields;

function g1(point: G1Json) {
  if (point[2] === '0') return G1.ProjectivePoint.ZERO;
  const parsed = G1.ProjectivePoint.fromAffine({ x: BigInt(point[0]), y: BigInt(point[1]) });
  parsed.assertValidity();
  return parsed;
}

function g2(point: G2Json) {
  const x = Fp2.fromBigTuple([BigInt(point[0][0]), BigInt(point[0][1])]);
  const y = Fp2.fromBigTuple([BigInt(point[1][0]), BigInt(point[1][1])]);
  const parsed = G2.ProjectivePoint.fromAffine({ x, y });
  parsed.assertValidity();
  return parsed;
}

/** True when the proof verifies for these public signals; false for a wrong proof, a malformed one, or bad signals. */
export function verifyGroth16(key: Groth16VerificationKey, publicSignals: string[], proof: Groth16Proof): boolean {
  try {
    if (key.protocol !== 'groth16' || key.curve !== 'bn128') return false;
    if (publicSignals.length !== key.nPublic || key.IC.length !== key.nPublic + 1) return false;
    const scalars = publicSignals.map((signal) => BigInt(signal));
    if (scalars.some((scalar) => scalar < 0n || scalar >= FIELD_PRIME)) return false;
    let accumulated = g1(key.IC[0]!);
    scalars.forEach((scalar, index) => {
      if (scalar !== 0n) accumulated = accumulated.add(g1(key.IC[index + 1]!).multiplyUnsafe(scalar));
    });
    // e(A, B) = e(alpha, beta) · e(vk_x, gamma) · e(C, delta), checked as one product equal to 1.
    const product = bn254.pairingBatch([
      { g1: g1(proof.pi_a).negate(), g2: g2(proof.pi_b) },
      { g1: g1(key.vk_alpha_1), g2: g2(key.vk_beta_2) },
      { g1: accumulated, g2: g2(key.vk_gamma_2) },
      { g1: g1(proof.pi_c), g2: g2(key.vk_delta_2) },
    ]);
    return Fp12.eql(product, Fp12.ONE);
  } catch {
    return false;
  }
}
