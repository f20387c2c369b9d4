// The node side: ask this machine's TEE for evidence binding the node's key. It reads the platform's own interface
// and nothing else; on a machine without one it says so, and the node never claims level tee.
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { keyBindingDigest, reportDataFor } from './binding';
import type { TeeEvidence } from './tee-evidence';

const run = promisify(execFile);

/** Where each platform shows itself. configfs-tsm (Linux ≥ 6.7) serves SEV-SNP and TDX reports as plain files. */
export const TEE_DEVICE_PATHS = {
  nitroNsm: '/dev/nsm',
  sevGuest: '/dev/sev-guest',
  tdxGuest: '/dev/tdx_guest',
  configfsTsm: '/sys/kernel/config/tsm/report',
} as const;

export type AttesterResult = { available: true; evidence: TeeEvidence } | { available: false; reason: string };

export interface AttesterOptions {
  /**
   * /dev/nsm answers ioctls only; a small program (e.g. built on aws-nitro-enclaves-nsm-api) is given the user data
   * as hex and prints the attestation document in base64.
   */
  nsmHelper?: string;
  /** Files the platform's evidence needs beside it (SEV-SNP: vcek.der, ask_ark.pem; TDX: tcb_info.json, qe_identity.json, tcb_signing_chain.pem). */
  endorsementsDir?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function endorsementsFor(platform: 'sev-snp' | 'tdx', dir: string | undefined): Promise<Record<string, string>> {
  if (!dir) throw new Error(`${platform} evidence needs its endorsements: set TEE_ENDORSEMENTS_DIR`);
  if (platform === 'sev-snp') {
    return { vcek: (await readFile(join(dir, 'vcek.der'))).toString('base64'), askArk: await readFile(join(dir, 'ask_ark.pem'), 'utf8') };
  }
  return {
    tcbInfo: await readFile(join(dir, 'tcb_info.json'), 'utf8'),
    qeIdentity: await readFile(join(dir, 'qe_identity.json'), 'utf8'),
    tcbSigningChain: await readFile(join(dir, 'tcb_signing_chain.pem'), 'utf8'),
  };
}

/** One report through configfs-tsm: a fresh entry, our 64 bytes in, the signed report (or quote) out. */
async function configfsReport(nodeAddress: string, boundAt: number, options: AttesterOptions): Promise<TeeEvidence> {
  const entry = join(TEE_DEVICE_PATHS.configfsTsm, `doppel-${process.pid}-${boundAt}`);
  await mkdir(entry);
  try {
    await writeFile(join(entry, 'inblob'), reportDataFor(nodeAddress, boundAt));
    const provider = (await readFile(join(entry, 'provider'), 'utf8')).trim();
    const platform = provider === 'sev_guest' ? 'sev-snp' : provider === 'tdx_guest' ? 'tdx' : null;
    if (!platform) throw new Error(`configfs-tsm provider ${provider} is not one Doppel verifies`);
    const document = (await readFile(join(entry, 'outblob'))).toString('base64');
    return { platform, document, boundAt, endorsements: await endorsementsFor(platform, options.endorsementsDir) };
  } finally {
    await rmdir(entry).catch(() => {});
  }
}

/**
 * Evidence for `nodeAddress` bound now, or why there is none. Never invents evidence: without a device the
 * answer is "no TEE hardware", and a device this code cannot drive is named as such.
 */
export async function attestNode(nodeAddress: string, options: AttesterOptions = {}, now = Date.now()): Promise<AttesterResult> {
  const present = {
    nitroNsm: await exists(TEE_DEVICE_PATHS.nitroNsm),
    sevGuest: await exists(TEE_DEVICE_PATHS.sevGuest),
    tdxGuest: await exists(TEE_DEVICE_PATHS.tdxGuest),
    configfsTsm: await exists(TEE_DEVICE_PATHS.configfsTsm),
  };
  try {
    if (present.nitroNsm) {
      if (!options.nsmHelper) return { available: false, reason: `${TEE_DEVICE_PATHS.nitroNsm} is present, but TEE_NSM_HELPER (the program that asks it for a document) is not set` };
      const userData = keyBindingDigest(nodeAddress, now).toString('hex');
      const { stdout } = await run(options.nsmHelper, [userData], { timeout: 10_000, maxBuffer: 1 << 20 });
      return { available: true, evidence: { platform: 'nitro', document: stdout.trim(), boundAt: now } };
    }
    if (present.configfsTsm && (present.sevGuest || present.tdxGuest)) return { available: true, evidence: await configfsReport(nodeAddress, now, options) };
    if (present.sevGuest || present.tdxGuest) {
      return { available: false, reason: `${present.sevGuest ? TEE_DEVICE_PATHS.sevGuest : TEE_DEVICE_PATHS.tdxGuest} is present, but this kernel has no configfs-tsm (${TEE_DEVICE_PATHS.configfsTsm}), the interface this node reads` };
    }
  } catch (error) {
    return { available: false, reason: `the TEE device did not give evidence: ${(error as Error).message}` };
  }
  return { available: false, reason: `no TEE hardware: none of ${Object.values(TEE_DEVICE_PATHS).join(', ')} exists on this machine` };
}
