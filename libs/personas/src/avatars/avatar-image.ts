// Avatar pictures: only PNG, JPEG or WebP bytes are accepted; they are decoded and re-encoded as a plain PNG (text
// chunks, EXIF, colour profiles and anything appended to the file are gone), so what is served is pixels and
// nothing else. The PNG's sha256 names it. Re-encoding an already normalised PNG gives the same bytes, so a card
// exported with its avatar imports back to the same hash.
import { createHash } from 'node:crypto';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export const AVATAR_MAX_SIDE = 2048;
/** Gallery cards are portrait, like character card images (2:3). */
export const THUMBNAIL_SIZE = { width: 320, height: 480 } as const;
/** Decoding allocates every pixel; no avatar needs more. */
const MAX_INPUT_PIXELS = 40_000_000;

export type AvatarSourceType = 'png' | 'jpeg' | 'webp';

export interface NormalizedAvatar {
  hash: string;
  png: Buffer;
  /** WebP, at most THUMBNAIL_SIZE, cropped to fill it. */
  thumbnail: Buffer;
  width: number;
  height: number;
}

export function sniffImageType(bytes: Buffer): AvatarSourceType | null {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

export async function normalizeAvatar(bytes: Buffer, maxBytes: number): Promise<NormalizedAvatar> {
  if (bytes.length > maxBytes) throw new DoppelError(ErrorCode.AvatarTooLarge, `Avatar images may be at most ${maxBytes} bytes (AVATAR_MAX_BYTES).`, { limitBytes: maxBytes });
  if (!sniffImageType(bytes)) throw new DoppelError(ErrorCode.AvatarInvalid, 'An avatar must be a PNG, JPEG or WebP image.');
  // Loaded here, not at the top: processes that never touch avatars (workers) do not load libvips.
  const { default: sharp } = await import('sharp');
  try {
    const decoded = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error', animated: false })
      .rotate()
      .resize({ width: AVATAR_MAX_SIDE, height: AVATAR_MAX_SIDE, fit: 'inside', withoutEnlargement: true });
    const { data: png, info } = await decoded.clone().png().toBuffer({ resolveWithObject: true });
    const thumbnail = await sharp(png).resize({ ...THUMBNAIL_SIZE, fit: 'cover', position: 'attention' }).webp({ quality: 80 }).toBuffer();
    return { hash: createHash('sha256').update(png).digest('hex'), png, thumbnail, width: info.width, height: info.height };
  } catch (error) {
    throw new DoppelError(ErrorCode.AvatarInvalid, `The image cannot be decoded (${(error as Error).message.split('\n')[0]}); save it again as PNG, JPEG or WebP.`);
  }
}
