// The avatars table: pictures stored once per content hash, never changed.
import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DATABASE, type Database } from '@doppel/db';
import type { NormalizedAvatar } from './avatar-image';

export type AvatarVariant = 'png' | 'thumbnail';

@Injectable()
export class AvatarRepository {
  constructor(@Inject(DATABASE) private readonly db: Kysely<Database>) {}

  async save(avatar: NormalizedAvatar): Promise<void> {
    await this.db
      .insertInto('avatars')
      .values({ hash: avatar.hash, png: avatar.png, thumbnail: avatar.thumbnail, width: avatar.width, height: avatar.height })
      .onConflict((conflict) => conflict.column('hash').doNothing())
      .execute();
  }

  async exists(hash: string): Promise<boolean> {
    return !!(await this.db.selectFrom('avatars').select('hash').where('hash', '=', hash).executeTakeFirst());
  }

  async read(hash: string, variant: AvatarVariant): Promise<Buffer | null> {
    const row = await this.db.selectFrom('avatars').select(variant === 'png' ? 'png as bytes' : 'thumbnail as bytes').where('hash', '=', hash).executeTakeFirst();
    return row?.bytes ?? null;
  }
}
