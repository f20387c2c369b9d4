# Chat-formatted training samples for doppel-nano-chat, built from the Debian `fortunes` / `fortunes-min` data
# (BSD licence, see models/README.md). Every random choice comes from a seeded generator, so the samples are the
# same on every machine.
import random
import re
from pathlib import Path

FORTUNE_DIR = Path('/usr/share/games/fortunes')
# The milder files of the collection; politics, drugs, ethnic, men-women and the like are left out on purpose.
FORTUNE_FILES = [
    'art', 'computers', 'cookie', 'education', 'food', 'fortunes', 'goedel', 'humorists', 'kids', 'literature',
    'love', 'magic', 'miscellaneous', 'paradoxum', 'people', 'pets', 'platitudes', 'riddles', 'science',
    'songs-poems', 'sports', 'tao', 'wisdom', 'work',
]

MIN_CHARS = 20
MAX_CHARS = 320

SYSTEM_PROMPTS = [
    'You are Ada, a friendly persona who answers with a short saying.',
    'You are a helpful assistant. Keep your answers short.',
    'You are Doppel, a witty digital twin.',
    'You are a wise old friend who speaks in proverbs.',
    'Answer the user in one or two sentences.',
    'You are a cheerful companion. Be kind and brief.',
]

PLAIN_PROMPTS = [
    'Tell me a fortune.',
    'Say something wise.',
    'Give me a quote.',
    'What does the future hold for me?',
    'Cheer me up, please.',
    'Tell me something interesting.',
    'Any words of wisdom today?',
    'Hello! What is on your mind?',
    'Can you tell me a saying?',
    'Share a thought with me.',
    'What should I remember today?',
    'Say something funny.',
    'Hi there. Tell me something.',
    'I need some advice.',
    'What do you know?',
]

TOPIC_PROMPTS = [
    'Tell me something about {topic}.',
    'What do you think about {topic}?',
    'Do you know a saying about {topic}?',
    'Share a thought on {topic}.',
    'Any advice about {topic}?',
    'What is the truth about {topic}?',
    'Give me a quote about {topic}.',
    'I keep thinking about {topic}. Any thoughts?',
    'Talk to me about {topic}.',
    'Why {topic}?',
]

STOPWORDS = set(
    'about above after again against being below between could doesn does didn every from have having here '
    'into itself just more most much must never other ought ours same should since some such than that their '
    'theirs them then there these they this those through under until very what when where which while whom '
    'with would your yours always because before people thing things nothing something anything everything '
    'without cannot shall still also only over another'.split()
)

QA_PATTERN = re.compile(r'^Q:\s*(?P<q>.+?)\s+A:\s*(?P<a>.+)$')
AQ_PATTERN = re.compile(r'^(?:.*?:\s*#\d+\s+)?A:\s*(?P<a>.+?)\s+Q:\s*(?P<q>.+)$')


def clean_entry(raw: str) -> str | None:
    text = re.sub(r'\s+', ' ', raw.replace('\t', ' ')).strip()
    if not (MIN_CHARS <= len(text) <= MAX_CHARS):
        return None
    if not text.isascii():
        return None
    letters = sum(ch.isalpha() or ch == ' ' for ch in text)
    if letters / len(text) < 0.8:  # ASCII art, tables, code
        return None
    return text


def read_entries() -> list[str]:
    entries: list[str] = []
    for name in FORTUNE_FILES:
        raw = (FORTUNE_DIR / name).read_text(encoding='latin-1')
        for block in re.split(r'^%$', raw, flags=re.M):
            text = clean_entry(block)
            if text is not None:
                entries.append(text)
    return entries


def topic_of(text: str, rng: random.Random) -> str | None:
    words = [w.lower() for w in re.findall(r'[A-Za-z]{5,}', text)]
    candidates = sorted({w for w in words if w not in STOPWORDS})
    return rng.choice(candidates) if candidates else None


def exchange_for(entry: str, rng: random.Random) -> tuple[str, str]:
    """One (user, assistant) pair: riddle-style entries keep their own question, others get a prompt."""
    for pattern in (QA_PATTERN, AQ_PATTERN):
        match = pattern.match(entry)
        if match:
            return match.group('q'), match.group('a')
    topic = topic_of(entry, rng)
    if topic is not None and rng.random() < 0.6:
        return rng.choice(TOPIC_PROMPTS).format(topic=topic), entry
    return rng.choice(PLAIN_PROMPTS), entry


def build_conversations(entries: list[str], passes: int, seed: int) -> list[list[dict]]:
    """Each pass shuffles the entries and groups them into conversations of 1-3 exchanges."""
    rng = random.Random(seed)
    conversations: list[list[dict]] = []
    for _ in range(passes):
        order = entries[:]
        rng.shuffle(order)
        i = 0
        while i < len(order):
            turns = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
            messages: list[dict] = []
            if rng.random() < 0.5:
                messages.append({'role': 'system', 'content': rng.choice(SYSTEM_PROMPTS)})
            for entry in order[i:i + turns]:
                user, assistant = exchange_for(entry, rng)
                messages.append({'role': 'user', 'content': user})
                messages.append({'role': 'assistant', 'content': assistant})
            conversations.append(messages)
            i += turns
    return conversations


def split_entries(entries: list[str], seed: int, valid_fraction: float) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    order = entries[:]
    rng.shuffle(order)
    cut = int(len(order) * valid_fraction)
    return order[cut:], order[:cut]


def prompt_texts() -> list[str]:
    """Every fixed string the chat format uses, so the tokenizer learns them too."""
    return SYSTEM_PROMPTS + PLAIN_PROMPTS + [t.format(topic='') for t in TOPIC_PROMPTS] + ['system', 'user', 'assistant']
