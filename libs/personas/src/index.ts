export * from './persona-definition';
export { PersonasModule } from './personas.module';
export { PersonasService, type PersonaView, type PersonaVersion, type PersonaPage } from './personas.service';
