-- Regenerated replies ("alternatives"), edits of the consumer's last message, pinned memories and fact memories.
--
-- An assistant reply points at the user message it answers (reply_to). Replies to the same user message are
-- alternatives: exactly one is 'shown' (listed and in the context of later turns), the others are 'alternative'.
-- Replies to a message the consumer later edited are 'superseded': kept for receipts, never shown or in context.
ALTER TABLE messages ADD COLUMN reply_to uuid REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN state text NOT NULL DEFAULT 'shown' CHECK (state IN ('shown', 'alternative', 'superseded'));
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
ALTER TABLE messages ADD CONSTRAINT messages_reply_to_assistant CHECK (reply_to IS NULL OR role = 'assistant');
CREATE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;
UPDATE messages SET reply_to = turns.user_message_id FROM turns WHERE turns.assistant_message_id = messages.id;

-- What a turn did: answer a new message, regenerate the last reply, or re-run an edited message.
ALTER TABLE turns ADD COLUMN kind text NOT NULL DEFAULT 'send' CHECK (kind IN ('send', 'regenerate', 'edit'));

-- pinned: always enters the prompt. in_context: false while the memory's message is a non-chosen alternative.
ALTER TABLE memories ADD COLUMN pinned boolean NOT NULL DEFAULT false;
ALTER TABLE memories ADD COLUMN in_context boolean NOT NULL DEFAULT true;
CREATE INDEX memories_pinned_idx ON memories (persona_id, consumer_id) WHERE pinned;
-- A regenerated turn stores its user message's memory once, not once per alternative.
CREATE UNIQUE INDEX memories_one_per_message ON memories (source_message_id, kind) WHERE kind IN ('user_message', 'assistant_reply');
