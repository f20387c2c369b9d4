import { describe, expect, it } from 'vitest';
import { fillPlaceholders } from './placeholders';

describe('fillPlaceholders', () => {
  const names = { char: 'Lumen', user: 'Ada' };

  it('fills {{char}} and {{user}} in any case and spacing, and V1 <BOT>/<USER>', () => {
    expect(fillPlaceholders('{{char}} greets {{user}}; {{ Char }} waves at {{USER}}.', names)).toBe('Lumen greets Ada; Lumen waves at Ada.');
    expect(fillPlaceholders('<BOT>: Hello <USER>', names)).toBe('Lumen: Hello Ada');
  });

  it('leaves other braces and names that only look alike untouched', () => {
    expect(fillPlaceholders('{{random}} {char} {{character}} $user {{user2}}', names)).toBe('{{random}} {char} {{character}} $user {{user2}}');
  });

  it("drops SillyTavern's {{original}}: Doppel has no default prompt for it to stand for", () => {
    expect(fillPlaceholders('{{original}}\nBe brief, {{user}}.', names)).toBe('\nBe brief, Ada.');
  });

  it("fills ElizaOS's {{agentName}}, {{name}} (the character) and {{user1}}, {{name1}} (the user)", () => {
    expect(fillPlaceholders('{{name}} greets {{user1}}; {{agentName}} and {{name1}}', names)).toBe('Lumen greets Ada; Lumen and Ada');
  });

  it('does not re-read a filled name as a placeholder', () => {
    expect(fillPlaceholders('Hi {{user}}', { char: 'X', user: '{{char}}' })).toBe('Hi {{char}}');
  });
});
