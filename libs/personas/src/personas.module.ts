import { Module } from '@nestjs/common';
import { AvatarRepository } from './avatars/avatar.repository';
import { AvatarsService } from './avatars/avatars.service';
import { LorebookRepository } from './lorebooks/lorebook.repository';
import { LorebooksService } from './lorebooks/lorebooks.service';
import { PersonasRepository } from './personas.repository';
import { PersonasService } from './personas.service';

@Module({
  providers: [PersonasRepository, PersonasService, AvatarRepository, AvatarsService, LorebookRepository, LorebooksService],
  exports: [PersonasService, AvatarsService, LorebooksService],
})
export class PersonasModule {}
