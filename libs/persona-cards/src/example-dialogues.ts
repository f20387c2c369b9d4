// Example exchanges from either format become {user, persona} pairs: a user line answered by the persona.
import { PERSONA_LIMITS } from '@doppel/personas';
import type { ImportReportBuilder } from './import-report';

export interface SpokenLine {
  speaker: 'user' | 'persona';
  text: string;
}

export interface ExampleDialogue {
  user: string;
  persona: string;
}

/** Pairs each user line with the persona line right after it; lines without a partner are counted, not kept. */
export function pairDialogues(conversations: SpokenLine[][], fromPath: string, report: ImportReportBuilder): ExampleDialogue[] {
  const dialogues: ExampleDialogue[] = [];
  let unpairedLines = 0;
  let overLimit = 0;
  let overCount = 0;
  for (const lines of conversations) {
    let pendingUser: string | null = null;
    for (const line of lines) {
      if (line.speaker === 'user') {
        if (pendingUser !== null) unpairedLines++;
        pendingUser = line.text;
        continue;
      }
      if (pendingUser === null) {
        unpairedLines++;
        continue;
      }
      if (!pendingUser.trim() || !line.text.trim() || pendingUser.length > PERSONA_LIMITS.textChars || line.text.length > PERSONA_LIMITS.textChars) overLimit++;
      else if (dialogues.length >= PERSONA_LIMITS.exampleDialogues) overCount++;
      else dialogues.push({ user: pendingUser, persona: line.text });
      pendingUser = null;
    }
    if (pendingUser !== null) unpairedLines++;
  }
  if (overLimit > 0) {
    report.drop(`${fromPath} (${overLimit} exchanges)`, `empty, or longer than ${PERSONA_LIMITS.textChars} characters`);
  }
  if (overCount > 0) report.drop(`${fromPath} (${overCount} exchanges)`, `a persona keeps at most ${PERSONA_LIMITS.exampleDialogues} example dialogues`);
  if (unpairedLines > 0) report.warn(`${fromPath}: ${unpairedLines} line(s) were not a user line answered by the character and were skipped.`);
  return dialogues;
}
