// The routes that take persona files (import, avatars), and lorebooks.
import { Module } from '@nestjs/common';
import { KnowledgeModule } from '@doppel/knowledge';
import { PersonasModule } from '@doppel/personas';
import { AvatarsController } from './avatars.controller';
import { LorebooksController } from './lorebooks.controller';
import { PersonaImportController } from './persona-import.controller';

@Module({ imports: [PersonasModule, KnowledgeModule], controllers: [PersonaImportController, AvatarsController, LorebooksController] })
export class PersonaFilesModule {}
