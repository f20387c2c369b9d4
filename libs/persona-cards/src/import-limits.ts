// Caps that keep a hostile file (zip bomb, giant chunk) from costing more than a real card does.
export const IMPORT_LIMITS = {
  /** The whole uploaded file (the gateway's PERSONA_IMPORT_MAX_BYTES may set a lower cap). Real card PNGs run to 5 MB. */
  maxFileBytes: 64 * 1024 * 1024,
  /** The card JSON once decoded (from base64, or inflated from a zip). */
  maxCardJsonBytes: 8 * 1024 * 1024,
  /** An image inside a CHARX (the avatar). */
  maxAssetBytes: 20 * 1024 * 1024,
  maxZipEntries: 1_000,
  /** Deflate rarely beats 20:1 on JSON and never on images; a bomb runs to thousands. */
  maxZipRatio: 200,
  /** How deep a file's objects are searched for secret-looking keys. */
  maxScanDepth: 64,
  /** Characters in one file (an ElizaOS array). */
  maxCharactersPerFile: 50,
} as const;
