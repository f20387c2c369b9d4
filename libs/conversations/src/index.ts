export { ConversationsModule } from './conversations.module';
export { ConversationsService, conversationNotFound } from './conversations.service';
export { TurnIntakeService, type TurnRequest, type AcceptedTurn, type AuthorizePersona, type PersonaAccessRule } from './turn-intake.service';
export { ConversationsRepository } from './conversations.repository';
export { outshineShownReply } from './message-states';
