# Retrieval check for doppel-embed-small on models/eval/paraphrases.json: every question searches all facts by
# cosine; recall@1 and MRR against two lexical baselines (word overlap, and a Python twin of the project's
# HashingEmbedder) and against the variants the build could have used.
# Run with Debian's interpreter: /usr/bin/python3 models/scripts/eval_embed.py
import json
import unicodedata
from pathlib import Path

import numpy as np
import onnx
import regex
from onnx import numpy_helper

import build_embed_small as build

MODELS_DIR = Path(__file__).resolve().parent.parent
HASH_DIMS = 384
HASH_NGRAMS = (3, 4, 5)
HASH_WORD_WEIGHT = 2


def fnv1a(text: str) -> int:
    value = 0x811C9DC5
    data = text.encode('utf-16-le')
    for unit in (data[i] | data[i + 1] << 8 for i in range(0, len(data), 2)):  # UTF-16 code units, like charCodeAt
        value ^= unit
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def hashing_vector(text: str) -> np.ndarray:
    vector = np.zeros(HASH_DIMS)
    words = regex.findall(r'[\p{L}\p{N}]+', unicodedata.normalize('NFKC', text).lower())
    for word in words:
        features = [(f'w:{word}', HASH_WORD_WEIGHT)]
        padded = f'<{word}>'
        features += [(padded[s:s + n], 1) for n in HASH_NGRAMS for s in range(len(padded) - n + 1)]
        for feature, weight in features:
            h = fnv1a(feature)
            vector[h % HASH_DIMS] += -weight if h & 0x80000000 else weight
    return vector


def table_vectors(texts: list[str], vocab: dict[str, int], table: np.ndarray) -> np.ndarray:
    """Mean of the token rows, as the feature-extraction pipeline's mean pooling does."""
    return np.stack([table[build.tokenize(t, vocab)].mean(axis=0) for t in texts])


def scores_from_vectors(questions: np.ndarray, facts: np.ndarray) -> np.ndarray:
    def unit(m):
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return unit(questions) @ unit(facts).T


def overlap_scores(questions: list[str], facts: list[str]) -> np.ndarray:
    def words(t):
        return set(build.PRETOKENIZE.findall(build.normalize_text(t)))
    return np.array([[len(words(q) & words(f)) / max(1, len(words(q) | words(f))) for f in facts] for q in questions])


def retrieval(scores: np.ndarray) -> dict:
    # Ties rank the right fact last, so a baseline cannot win by index order.
    ranks = [(row > row[i]).sum() + (row == row[i]).sum() for i, row in enumerate(scores)]
    return {'recall@1': round(float(np.mean([r == 1 for r in ranks])), 3),
            'recall@3': round(float(np.mean([r <= 3 for r in ranks])), 3),
            'mrr': round(float(np.mean([1 / r for r in ranks])), 3)}


def main() -> None:
    pairs = json.loads((MODELS_DIR / 'eval' / 'paraphrases.json').read_text())
    facts = [p['fact'] for p in pairs]
    questions = [p['question'] for p in pairs]
    results = {'pairs': len(pairs)}

    results['word overlap (Jaccard)'] = retrieval(overlap_scores(questions, facts))
    results['hashing-384 (project baseline)'] = retrieval(scores_from_vectors(
        np.stack([hashing_vector(q) for q in questions]), np.stack([hashing_vector(f) for f in facts])))

    words, ranks, raw = build.read_wink(30_000)
    vocab = build.build_vocab(words)
    variants = {
        'wink mean, no weighting': build.sif_vectors(raw, ranks, 0, False),
        'wink SIF a=1e-4, no component removal': build.sif_vectors(raw, ranks, 1e-4, False),
        'wink SIF a=1e-3 + component removal': build.sif_vectors(raw, ranks, 1e-3, True),
    }
    for name, vectors in variants.items():
        table = build.embedding_table(vectors).astype(np.float32)
        results[name] = retrieval(scores_from_vectors(table_vectors(questions, vocab, table), table_vectors(facts, vocab, table)))

    shipped = onnx.load(str(MODELS_DIR / 'doppel-embed-small' / 'onnx' / 'model.onnx'))
    table = numpy_helper.to_array(next(i for i in shipped.graph.initializer if i.name == 'embeddings')).astype(np.float32)
    shipped_vocab = json.loads((MODELS_DIR / 'doppel-embed-small' / 'tokenizer.json').read_text())['model']['vocab']
    results['doppel-embed-small (shipped)'] = retrieval(scores_from_vectors(
        table_vectors(questions, shipped_vocab, table), table_vectors(facts, shipped_vocab, table)))

    for name, value in results.items():
        print(f'{name:40s} {value}')
    (MODELS_DIR / 'eval' / 'embed-report.json').write_text(json.dumps(results, indent=1) + '\n')


if __name__ == '__main__':
    main()
