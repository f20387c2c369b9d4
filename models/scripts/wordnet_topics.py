# Everyday nouns and their plain-English definitions from the Debian package `wordnet-base` (WordNet 3.0, Princeton
# WordNet licence, see models/README.md): the natural-text part of doppel-mini-chat's replies ("The sea? It is a
# division of an ocean ..."). Only common nouns whose first-sense gloss is a short noun phrase made of dictionary
# words are kept, so the model learns real words and real definitions.
import re
from pathlib import Path

WORDNET_DIR = Path('/usr/share/wordnet')
DICTIONARY = Path('/usr/share/dict/words')  # Debian `wamerican`

# Lemmas that would make the persona sound odd or unkind; the rest of WordNet's everyday nouns are fine.
SKIP = set('sex penis vagina rape kill murder suicide drug drugs gun guns bomb war nigger negro corpse death die '
           'shit bitch whore prostitute slave hell devil god jesus christ bible church penny cent dollar'.split())


def dictionary_words() -> set[str]:
    return {line.strip().lower() for line in DICTIONARY.read_text(encoding='utf-8', errors='ignore').splitlines() if line.strip().isalpha()}


def _first_gloss(line: str) -> str | None:
    if ' | ' not in line:
        return None
    gloss = line.split(' | ', 1)[1].strip()
    definition = gloss.split(';')[0].strip()
    definition = re.sub(r'\s*\([^)]*\)', '', definition).strip()
    return definition


def read_topics(min_tagged_senses: int = 2, max_chars: int = 90) -> list[tuple[str, str]]:
    """(noun, definition) pairs, sorted by noun, e.g. ('sea', 'a division of an ocean or a large body of salt
    water partially enclosed by land')."""
    words = dictionary_words()
    offsets: dict[str, int] = {}
    for line in (WORDNET_DIR / 'index.noun').read_text(encoding='latin-1').splitlines():
        if line.startswith(' '):
            continue
        fields = line.split()
        lemma = fields[0]
        if not re.fullmatch(r'[a-z]{3,12}', lemma) or lemma in SKIP or lemma not in words:
            continue
        synset_count, pointer_count = int(fields[2]), int(fields[3])
        tagged = int(fields[5 + pointer_count])
        if tagged < min_tagged_senses:
            continue
        offsets[lemma] = int(fields[6 + pointer_count])  # first (most frequent) sense
        assert synset_count >= 1
    data = (WORDNET_DIR / 'data.noun').read_bytes()
    topics: list[tuple[str, str]] = []
    for lemma in sorted(offsets):
        end = data.index(b'\n', offsets[lemma])
        definition = _first_gloss(data[offsets[lemma]:end].decode('latin-1'))
        if not definition or len(definition) > max_chars or not definition.isascii():
            continue
        if not re.match(r'^(a|an|the) ', definition):
            continue
        tokens = re.findall(r"[A-Za-z']+|[^A-Za-z'\s]", definition)
        if any(not t.isalpha() for t in tokens if t not in (',',)):
            continue
        if any(t.lower() not in words for t in tokens if t.isalpha()):
            continue
        if re.search(rf'\b{lemma}\b', definition):
            continue
        topics.append((lemma, definition))
    return topics


if __name__ == '__main__':
    found = read_topics()
    print(len(found))
    for pair in found[:: max(1, len(found) // 40)]:
        print(pair)
