// Storing and reading persona avatars. Anyone who can see a persona sees its avatar's hash; the picture is served to
// whoever asks by that hash (an <img> sends no API key), which reveals nothing the hash did not already name.
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { AVATAR_HASH_PATTERN } from '../persona-definition';
import { normalizeAvatar } from './avatar-image';
import { AvatarRepository, type AvatarVariant } from './avatar.repository';

export interface StoredAvatar {
  hash: string;
  width: number;
  height: number;
}

@Injectable()
export class AvatarsService {
  constructor(
    private readonly avatars: AvatarRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Validates and re-encodes the image, stores it once per content, and returns its hash. */
  async store(bytes: Buffer): Promise<StoredAvatar> {
    const avatar = await normalizeAvatar(bytes, this.config.personaFiles.avatarMaxBytes);
    await this.avatars.save(avatar);
    return { hash: avatar.hash, width: avatar.width, height: avatar.height };
  }

  async assertExists(hash: string): Promise<void> {
    if (!AVATAR_HASH_PATTERN.test(hash) || !(await this.avatars.exists(hash))) {
      throw new DoppelError(ErrorCode.AvatarNotFound, `No avatar ${hash} has been uploaded; upload the image first (POST /avatars).`);
    }
  }

  async read(hash: string, variant: AvatarVariant): Promise<Buffer> {
    const bytes = AVATAR_HASH_PATTERN.test(hash) ? await this.avatars.read(hash, variant) : null;
    if (!bytes) throw new DoppelError(ErrorCode.AvatarNotFound, `No avatar ${hash}.`);
    return bytes;
  }
}
