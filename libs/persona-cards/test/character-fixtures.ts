// Character files written for these specs, one per format generation. SECRET_VALUES must never leave an import.
export const SECRET_VALUES = ['sk-live-0123456789abcdef', 'discord-bot-token-value', 'hunter2-password', 'root-secret-value', 'card-ext-api-key-value'];

export const elizaV01 = {
  name: 'Trump',
  clients: ['discord'],
  modelProvider: 'openai',
  settings: { secrets: { OPENAI_API_KEY: SECRET_VALUES[0] }, voice: { model: 'en_US-male-medium' }, DISCORD_TOKEN: SECRET_VALUES[1] },
  plugins: [],
  bio: ['builds walls', 'saved America from {{user}}'],
  lore: ['once ate a steak well done'],
  knowledge: ['knows about walls'],
  messageExamples: [
    [
      { user: '{{user1}}', content: { text: 'What about the border?' } },
      { user: 'Trump', content: { text: 'We need a wall, {{user1}}.' } },
    ],
    [
      { user: '{{user1}}', content: { text: 'And taxes?' } },
      { user: '{{user1}}', content: { text: 'Hello?' } },
      { user: 'trump', content: { text: 'Lower them.' } },
      { user: 'Trump', content: { text: 'A lot.' } },
    ],
  ],
  postExamples: ['MAKE AMERICA GREAT AGAIN'],
  topics: ['Border security', 'Economy & Jobs', 'a topic far too long to be any kind of tag at all really'],
  adjectives: ['bold'],
  style: { all: ['uses CAPS for emphasis'], chat: ['short answers'], post: ['all caps'] },
  system: 'Roleplay as {{char}}.',
};

export const elizaV1 = {
  name: 'Eliza',
  username: 'eliza',
  plugins: ['@elizaos/plugin-sql'],
  secrets: { password: SECRET_VALUES[2] },
  bio: 'A helpful assistant.',
  system: 'Respond as Eliza.',
  messageExamples: [
    [
      { name: '{{name1}}', content: { text: 'Hi' } },
      { name: 'Eliza', content: { text: 'Hello! How can I help?' } },
    ],
  ],
  topics: ['support'],
  style: { all: ['kind'], chat: [], post: [] },
  settings: { model: 'gpt-4o' },
};

export const elizaLater = {
  name: 'Archivist',
  bio: ['Keeps records.'],
  documents: [{ path: 'records.md' }],
  knowledge: [],
  messageExamples: [],
  secrets: { ROOT_SECRET: SECRET_VALUES[3] },
};

export const cardV1 = {
  name: 'Seraphina',
  description: '{{char}} is a guardian of the forest.',
  personality: 'caring, protective',
  scenario: '{{user}} wakes up in a glade.',
  first_mes: '*{{char}} smiles.* You are awake, {{user}}.',
  mes_example: '<START>\n{{user}}: Where am I?\n{{char}}: In my glade.\nYou are safe here.\n<START>\n{{char}}: Unprompted line.',
  avatar: 'none',
};

export const cardV2 = {
  spec: 'chara_card_v2',
  spec_version: '2.0',
  data: {
    name: 'Aria',
    description: 'A starship AI.',
    personality: 'calm',
    scenario: 'On the bridge.',
    first_mes: 'Systems nominal, {{user}}.',
    mes_example: '<START>\n{{user}}: Status?\nAria: All green.',
    creator_notes: 'Made for testing.',
    system_prompt: 'You are {{char}}, the ship AI.',
    post_history_instructions: 'Stay concise.',
    alternate_greetings: ['Welcome aboard.'],
    character_book: { entries: [{ keys: ['warp'], content: 'Warp drive lore.' }] },
    tags: ['Sci-Fi', 'AI', '#space'],
    creator: 'tester',
    character_version: '1.2',
    extensions: { talkativeness: '0.5', openrouter_api_key: SECRET_VALUES[4] },
  },
};

export const cardV3 = {
  spec: 'chara_card_v3',
  spec_version: '3.0',
  data: {
    ...cardV2.data,
    name: 'Nova',
    extensions: {},
    group_only_greetings: ['Hello, crew.'],
    nickname: 'Novie',
    assets: [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }],
    creation_date: 1700000000,
  },
};
