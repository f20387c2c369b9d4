import { Module } from '@nestjs/common';
import { AvatarRepository } from './avatars/avatar.repository';
import { AvatarsService } from './avatars/avatars.service';
import { LorebookRepository } from './lorebooks/lorebook.repository';
import { LorebooksService } from './lorebooks/lorebooks.service';
import { PersonasService } from './personas.service';

@Module({
  providers: [PersonasService, AvatarRepository, AvatarsService, LorebookRepository, LorebooksService],
  exports: [PersonasService, AvatarsService, LorebooksService],
})
export class PersonasModule {}
