export { ConversationsModule } from './conversations.module';
export { ConversationsService, conversationNotFound, type AlternativeView, type ConversationView, type MessageView, type Page } from './conversations.service';
export { TurnIntakeService, type TurnRequest, type AcceptedTurn, type AuthorizePersona, type PersonaAccessRule } from './turn-intake.service';
export { TurnLookup } from './turn-lookup.service';
