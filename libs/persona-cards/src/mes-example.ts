// The card format's example chats: `<START>` blocks of "{{user}}: …" / "{{char}}: …" lines.
import type { SpokenLine } from './example-dialogues';

const BLOCK_SEPARATOR = /^\s*<START>\s*$/i;
const USER_SPEAKERS = new Set(['{{user}}', '<user>']);
const PERSONA_SPEAKERS = new Set(['{{char}}', '<bot>']);

/** Lines before a block's first speaker are ignored; a line with no speaker continues the message above it. */
export function parseMesExample(mesExample: string, characterName: string): SpokenLine[][] {
  const personaName = characterName.trim().toLowerCase();
  const blocks: SpokenLine[][] = [];
  let block: SpokenLine[] = [];
  for (const line of mesExample.replace(/\r\n?/g, '\n').split('\n')) {
    if (BLOCK_SEPARATOR.test(line)) {
      if (block.length > 0) blocks.push(block);
      block = [];
      continue;
    }
    const speakerLine = /^([^:\n]{1,80}):(.*)$/.exec(line);
    const speaker = speakerLine?.[1]!.trim().toLowerCase();
    if (speakerLine && speaker && (USER_SPEAKERS.has(speaker) || PERSONA_SPEAKERS.has(speaker) || speaker === personaName)) {
      // One space after the colon is the format's; any more belongs to the text.
      block.push({ speaker: USER_SPEAKERS.has(speaker) ? 'user' : 'persona', text: speakerLine[2]!.replace(/^ /, '') });
      continue;
    }
    const current = block[block.length - 1];
    if (current) current.text += `\n${line}`;
  }
  if (block.length > 0) blocks.push(block);
  return blocks.map((lines) => lines.map((spoken) => ({ ...spoken, text: spoken.text.trimEnd() })));
}

export function formatMesExample(dialogues: { user: string; persona: string }[]): string {
  return dialogues.map((dialogue) => `<START>\n{{user}}: ${dialogue.user}\n{{char}}: ${dialogue.persona}`).join('\n');
}
