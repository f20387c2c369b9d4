// Caps that keep a hostile file (zip bomb, giant chunk) from costing more than a real card does.
export const IMPORT_LIMITS = {
  /** The whole uploaded file. */
  maxFileBytes: 8 * 1024 * 1024,
  /** The card JSON once decoded (from base64, or inflated from a zip). */
  maxCardJsonBytes: 2 * 1024 * 1024,
  maxPngChunks: 10_000,
  maxZipEntries: 1_000,
  /** How deep a file's objects are searched for secret-looking keys. */
  maxScanDepth: 64,
} as const;
