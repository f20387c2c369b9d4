export type TeePlatform = 'nitro' | 'sev-snp' | 'tdx';

/** What every platform's verifier returns once signature, chain and debug checks passed. */
export interface VerifiedAttestation {
  platform: TeePlatform;
  /**
   * What the enclave runs, as lowercase hex: Nitro PCR0‖PCR1‖PCR2, SEV-SNP MEASUREMENT (the launch digest), TDX
   * MRTD‖RTMR0‖RTMR1‖RTMR2. Operators approve these per model.
   */
  measurement: string;
  /** The bytes the guest chose and the hardware signed: Nitro user_data, SEV-SNP and TDX REPORT_DATA. */
  reportData: Buffer;
  debug: boolean;
  /** When the hardware produced it, where the format says (Nitro); null otherwise. */
  issuedAt: Date | null;
}
