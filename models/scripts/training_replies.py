# Prints, as one JSON array, every distinct assistant line a shipped chat model was trained on, so the quality
# benchmark (scripts/bench/chat-quality-bench.ts) can count replies that repeat one verbatim. It rebuilds the seeded
# training conversations exactly as the build scripts do (their default arguments), without torch.
# Usage: /usr/bin/python3 models/scripts/training_replies.py doppel-mini-chat-2|doppel-mini-chat|doppel-nano-chat
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import byte_bpe  # noqa: E402
import chat_corpus  # noqa: E402
import dialogue_corpus  # noqa: E402
import dialogue_v2  # noqa: E402
import wordnet_topics  # noqa: E402

MINI_SEED, MINI_CONVERSATIONS = 2024, 6000  # build_mini_chat.py's SEED and --conversations default
MODELS_DIR = Path(__file__).resolve().parent.parent
SPECIAL_TOKENS = ['<pad>', '<s>', '<|im_end|>', '<unk>', '<|im_start|>']  # build_nano_chat.py's (it imports torch)
NANO_SEED = 1234  # build_nano_chat.py's SEED


def normalise(text: str) -> str:
    return re.sub(r'\s+', ' ', text).strip()


def assistant_lines(conversations: list[list[dict]]) -> set[str]:
    return {normalise(m['content']) for c in conversations for m in c if m['role'] == 'assistant'}


def main() -> None:
    model = sys.argv[1] if len(sys.argv) > 1 else ''
    if model == 'doppel-mini-chat-2':
        tokenizer_model = json.loads((MODELS_DIR / 'doppel-mini-chat' / 'tokenizer.json').read_text(encoding='utf-8'))['model']
        tokenizer = byte_bpe.ByteBpe(tokenizer_model['vocab'], [tuple(m) for m in tokenizer_model['merges']], SPECIAL_TOKENS)
        pieces = lambda word: len(tokenizer.encode(' ' + word))  # noqa: E731
        words = wordnet_topics.dictionary_words()
        nouns = dialogue_v2.safe_nouns(wordnet_topics.read_topics(), pieces)
        sayings = dialogue_v2.plain_sayings(dialogue_corpus.read_sayings(Path('/usr/share/games/fortunes'), words), pieces)
        lines = assistant_lines(dialogue_v2.build_conversations(MINI_CONVERSATIONS, MINI_SEED, nouns, sayings))
    elif model == 'doppel-mini-chat':
        words = wordnet_topics.dictionary_words()
        topics = wordnet_topics.read_topics()
        sayings = dialogue_corpus.read_sayings(Path('/usr/share/games/fortunes'), words)
        lines = assistant_lines(dialogue_corpus.build_conversations(MINI_CONVERSATIONS, MINI_SEED, topics, sayings))
    elif model == 'doppel-nano-chat':
        train, _ = chat_corpus.split_entries(chat_corpus.read_entries(), NANO_SEED, valid_fraction=0.03)
        lines = assistant_lines(chat_corpus.build_conversations(train, passes=3, seed=NANO_SEED))
    else:
        sys.exit('usage: training_replies.py doppel-mini-chat-2|doppel-mini-chat|doppel-nano-chat')
    json.dump(sorted(lines), sys.stdout)


if __name__ == '__main__':
    main()
