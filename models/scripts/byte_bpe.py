# A small byte-level BPE trainer and encoder that writes the Hugging Face `tokenizer.json` format
# (ByteLevel pre-tokenizer and decoder, BPE model), so transformers.js tokenizes exactly as training did.
import collections
import json

import regex

# The pre-tokenization pattern of the ByteLevel pre-tokenizer (transformers.js and HF tokenizers use the same one).
PRETOKENIZE = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def byte_to_unicode() -> dict[int, str]:
    """Printable stand-ins for all 256 bytes: printable Latin-1 bytes keep their character, the rest are shifted
    past U+0100, so every token is a plain string without spaces or control characters."""
    keep = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    mapping: dict[int, str] = {}
    shifted = 0
    for byte in range(256):
        if byte in keep:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + shifted)
            shifted += 1
    return mapping


BYTE_CHARS = byte_to_unicode()
CHAR_BYTES = {char: byte for byte, char in BYTE_CHARS.items()}


def pieces(text: str) -> list[str]:
    return [''.join(BYTE_CHARS[b] for b in piece.encode('utf-8')) for piece in PRETOKENIZE.findall(text)]


def train(texts: list[str], vocab_size: int, special_tokens: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Classic BPE over pre-tokenized pieces, with incremental pair counts. Ties break on the pair itself, so
    the result does not depend on hash order."""
    piece_counts: collections.Counter[str] = collections.Counter()
    for text in texts:
        piece_counts.update(pieces(text))
    words = [list(piece) for piece in sorted(piece_counts)]
    freqs = [piece_counts[piece] for piece in sorted(piece_counts)]

    pair_counts: collections.Counter[tuple[str, str]] = collections.Counter()
    pair_words: dict[tuple[str, str], set[int]] = collections.defaultdict(set)
    for index, symbols in enumerate(words):
        for pair in zip(symbols, symbols[1:]):
            pair_counts[pair] += freqs[index]
            pair_words[pair].add(index)

    vocab: dict[str, int] = {}
    for token in special_tokens:
        vocab[token] = len(vocab)
    for byte in range(256):
        vocab[BYTE_CHARS[byte]] = len(vocab)

    merges: list[tuple[str, str]] = []
    while len(vocab) < vocab_size and pair_counts:
        best = max(pair_counts.items(), key=lambda item: (item[1], item[0]))[0]
        if pair_counts[best] < 2:
            break
        merged = best[0] + best[1]
        merges.append(best)
        vocab[merged] = len(vocab)
        for index in sorted(pair_words.pop(best, ())):
            symbols = words[index]
            freq = freqs[index]
            for pair in zip(symbols, symbols[1:]):
                pair_counts[pair] -= freq
                if pair_counts[pair] <= 0:
                    del pair_counts[pair]
            out: list[str] = []
            i = 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    out.append(merged)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            words[index] = out
            for pair in zip(out, out[1:]):
                pair_counts[pair] += freq
                pair_words[pair].add(index)
        pair_counts.pop(best, None)
    return vocab, merges


class ByteBpe:
    def __init__(self, vocab: dict[str, int], merges: list[tuple[str, str]], special_tokens: list[str]):
        self.vocab = vocab
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.special = special_tokens
        self.special_pattern = regex.compile('(' + '|'.join(regex.escape(t) for t in special_tokens) + ')')
        self.cache: dict[str, list[int]] = {}
        self.id_to_token = {i: t for t, i in vocab.items()}

    def _encode_piece(self, piece: str) -> list[int]:
        cached = self.cache.get(piece)
        if cached is not None:
            return cached
        symbols = list(piece)
        while len(symbols) > 1:
            ranked = [(self.ranks.get(pair, 1 << 30), i) for i, pair in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(ranked)
            if rank == 1 << 30:
                break
            symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
        ids = [self.vocab[s] for s in symbols]
        self.cache[piece] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for part in self.special_pattern.split(text):
            if not part:
                continue
            if part in self.vocab and part in self.special:
                ids.append(self.vocab[part])
                continue
            for piece in pieces(part):
                ids.extend(self._encode_piece(piece))
        return ids

    def decode(self, ids: list[int]) -> str:
        out = bytearray()
        text = ''
        for token_id in ids:
            token = self.id_to_token[token_id]
            if token in self.special:
                text += out.decode('utf-8', errors='replace') + token
                out = bytearray()
            else:
                out.extend(CHAR_BYTES[c] for c in token)
        return text + out.decode('utf-8', errors='replace')


def tokenizer_json(vocab: dict[str, int], merges: list[tuple[str, str]], special_tokens: list[str]) -> dict:
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
             'normalized': False, 'special': True}
            for t in special_tokens
        ],
        'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        # The chat template writes <s> itself; plain encoding adds no special tokens.
        'post_processor': None,
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
            'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
            'vocab': vocab,
            'merges': [[a, b] for a, b in merges],
        },
    }


def write(path: str, payload: dict) -> None:
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=1)
        handle.write('\n')
