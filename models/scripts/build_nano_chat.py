# Builds models/doppel-nano-chat from scratch: chat samples from the Debian fortunes data, a byte-level BPE
# tokenizer, a small Llama trained on CPU, and the ONNX export in the layout transformers.js loads for "llama".
# Run with Debian's interpreter: /usr/bin/python3 models/scripts/build_nano_chat.py
import argparse
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import byte_bpe
import chat_corpus
from nano_llama import NanoLlama, NanoLlamaConfig

MODELS_DIR = Path(__file__).resolve().parent.parent
SEED = 1234
PAD, BOS, EOS, UNK, TURN_START = '<pad>', '<s>', '<|im_end|>', '<unk>', '<|im_start|>'
SPECIAL_TOKENS = [PAD, BOS, EOS, UNK, TURN_START]  # ids 0..4
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def render(messages: list[dict], add_generation_prompt: bool = False) -> str:
    """The Python twin of CHAT_TEMPLATE."""
    text = BOS + ''.join(f"{TURN_START}{m['role']}\n{m['content']}{EOS}\n" for m in messages)
    return text + (f'{TURN_START}assistant\n' if add_generation_prompt else '')


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def token_stream(tokenizer: byte_bpe.ByteBpe, conversations: list[list[dict]]) -> torch.Tensor:
    ids: list[int] = []
    for messages in conversations:
        ids.extend(tokenizer.encode(render(messages)))
    return torch.tensor(ids, dtype=torch.long)


def windows(stream: torch.Tensor, length: int) -> torch.Tensor:
    count = (len(stream) - 1) // length
    inputs = stream[: count * length + 1]
    return torch.stack([inputs[i * length: i * length + length + 1] for i in range(count)])


def run_batch(model: NanoLlama, batch: torch.Tensor) -> torch.Tensor:
    inputs, targets = batch[:, :-1], batch[:, 1:]
    positions = torch.arange(inputs.shape[1]).unsqueeze(0).expand_as(inputs)
    logits, _ = model(inputs, torch.ones_like(inputs), positions)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


@torch.no_grad()
def evaluate(model: NanoLlama, data: torch.Tensor, batch_size: int) -> float:
    model.eval()
    losses = [run_batch(model, data[i:i + batch_size]).item() * len(data[i:i + batch_size])
              for i in range(0, len(data), batch_size)]
    model.train()
    return sum(losses) / len(data)


@torch.no_grad()
def greedy(model: NanoLlama, prompt_ids: list[int], max_new_tokens: int) -> list[int]:
    """Greedy decoding through the KV cache, as the ONNX graph is used; the smoke test compares against it."""
    model.eval()
    ids = torch.tensor([prompt_ids])
    logits, past = model(ids, torch.ones_like(ids), torch.arange(ids.shape[1]).unsqueeze(0))
    out: list[int] = []
    total = ids.shape[1]
    for _ in range(max_new_tokens):
        next_id = int(logits[0, -1].argmax())
        out.append(next_id)
        if next_id == SPECIAL_TOKENS.index(EOS):
            break
        step = torch.tensor([[next_id]])
        logits, past = model(step, torch.ones(1, total + 1, dtype=torch.long), torch.tensor([[total]]), past)
        total += 1
    return out


class OnnxDecoder(torch.nn.Module):
    """Flat inputs and outputs with the optimum names: input_ids, attention_mask, position_ids,
    past_key_values.{i}.key/value in; logits, present.{i}.key/value out."""

    def __init__(self, model: NanoLlama):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        return (logits, *[t for pair in presents for t in pair])


def export_onnx(model: NanoLlama, path: Path) -> None:
    config = model.config
    layers = config.num_hidden_layers
    batch, seq, past_len = 2, 3, 4
    past = []
    for _ in range(layers):
        past += [torch.randn(batch, config.num_key_value_heads, past_len, config.head_dim) for _ in range(2)]
    args = (
        torch.randint(5, config.vocab_size, (batch, seq)),
        torch.ones(batch, past_len + seq, dtype=torch.long),
        torch.arange(past_len, past_len + seq).unsqueeze(0).repeat(batch, 1),
        *past,
    )
    past_names = [f'past_key_values.{i}.{kind}' for i in range(layers) for kind in ('key', 'value')]
    present_names = [f'present.{i}.{kind}' for i in range(layers) for kind in ('key', 'value')]
    dynamic_axes = {
        'input_ids': {0: 'batch_size', 1: 'sequence_length'},
        'attention_mask': {0: 'batch_size', 1: 'total_sequence_length'},
        'position_ids': {0: 'batch_size', 1: 'sequence_length'},
        'logits': {0: 'batch_size', 1: 'sequence_length'},
        **{name: {0: 'batch_size', 2: 'past_sequence_length'} for name in past_names},
        **{name: {0: 'batch_size', 2: 'total_sequence_length'} for name in present_names},
    }
    model.eval()
    torch.onnx.export(
        OnnxDecoder(model), args, str(path),
        input_names=['input_ids', 'attention_mask', 'position_ids', *past_names],
        output_names=['logits', *present_names],
        dynamic_axes=dynamic_axes, opset_version=14, do_constant_folding=True,
    )


def write_model_files(out_dir: Path, config: NanoLlamaConfig, vocab: dict, merges: list) -> None:
    bos_id, eos_id, pad_id = (SPECIAL_TOKENS.index(t) for t in (BOS, EOS, PAD))
    hf_config = {
        'architectures': ['LlamaForCausalLM'],
        'model_type': 'llama',
        **config.to_dict(),
        'hidden_act': 'silu',
        'attention_bias': False,
        'mlp_bias': False,
        'tie_word_embeddings': False,
        'initializer_range': 0.02,
        'bos_token_id': bos_id,
        'eos_token_id': eos_id,
        'pad_token_id': pad_id,
        'use_cache': True,
        'torch_dtype': 'float32',
        'transformers.js_config': {'dtype': 'fp32'},
    }
    generation_config = {
        'bos_token_id': bos_id,
        'eos_token_id': eos_id,
        'pad_token_id': pad_id,
        'max_length': config.max_position_embeddings,
        'do_sample': True,
        'temperature': 0.8,
        'top_k': 40,
        'top_p': 0.95,
        'repetition_penalty': 1.1,
    }
    tokenizer_config = {
        'tokenizer_class': 'PreTrainedTokenizerFast',
        'bos_token': BOS,
        'eos_token': EOS,
        'pad_token': PAD,
        'unk_token': UNK,
        'add_bos_token': False,
        'add_eos_token': False,
        'clean_up_tokenization_spaces': False,
        'model_max_length': config.max_position_embeddings,
        'chat_template': CHAT_TEMPLATE,
        'added_tokens_decoder': {
            str(vocab[t]): {'content': t, 'lstrip': False, 'normalized': False, 'rstrip': False,
                            'single_word': False, 'special': True}
            for t in SPECIAL_TOKENS
        },
    }
    byte_bpe.write(str(out_dir / 'config.json'), hf_config)
    byte_bpe.write(str(out_dir / 'generation_config.json'), generation_config)
    byte_bpe.write(str(out_dir / 'tokenizer_config.json'), tokenizer_config)
    byte_bpe.write(str(out_dir / 'special_tokens_map.json'), {'bos_token': BOS, 'eos_token': EOS, 'pad_token': PAD, 'unk_token': UNK})
    byte_bpe.write(str(out_dir / 'tokenizer.json'), byte_bpe.tokenizer_json(vocab, merges, SPECIAL_TOKENS))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=240)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--seq', type=int, default=256)
    parser.add_argument('--lr', type=float, default=3e-3)
    parser.add_argument('--vocab', type=int, default=2048)
    parser.add_argument('--out', default=str(MODELS_DIR / 'doppel-nano-chat'))
    parser.add_argument('--report', default=str(MODELS_DIR / 'eval' / 'nano-chat-report.json'))
    args = parser.parse_args()

    torch.set_num_threads(2)
    seed_everything(SEED)
    out_dir = Path(args.out)
    (out_dir / 'onnx').mkdir(parents=True, exist_ok=True)

    entries = chat_corpus.read_entries()
    train_entries, valid_entries = chat_corpus.split_entries(entries, SEED, valid_fraction=0.03)
    print(f'entries: {len(train_entries)} train, {len(valid_entries)} held out')

    started = time.time()
    vocab, merges = byte_bpe.train(train_entries + chat_corpus.prompt_texts(), args.vocab, SPECIAL_TOKENS)
    tokenizer = byte_bpe.ByteBpe(vocab, merges, SPECIAL_TOKENS)
    print(f'tokenizer: {len(vocab)} tokens in {time.time() - started:.1f}s')

    train_stream = token_stream(tokenizer, chat_corpus.build_conversations(train_entries, passes=3, seed=SEED))
    valid_stream = token_stream(tokenizer, chat_corpus.build_conversations(valid_entries, passes=1, seed=SEED + 1))
    train_data = windows(train_stream, args.seq)
    valid_data = windows(valid_stream, args.seq)
    print(f'tokens: {len(train_stream)} train ({len(train_data)} windows), {len(valid_stream)} held out')

    config = NanoLlamaConfig(vocab_size=len(vocab))
    model = NanoLlama(config)
    params = sum(p.numel() for p in model.parameters())
    print(f'model: {params / 1e6:.2f}M parameters, config {config.to_dict()}')

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95))
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step, args.steps) / args.steps))))

    generator = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(train_data), generator=generator)
    cursor = 0
    train_started = time.time()
    history = []
    for step in range(args.steps):
        if cursor + args.batch > len(order):
            order = torch.randperm(len(train_data), generator=generator)
            cursor = 0
        batch = train_data[order[cursor:cursor + args.batch]]
        cursor += args.batch
        loss = run_batch(model, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps - 1:
            elapsed = time.time() - train_started
            print(f'step {step:4d}  loss {loss.item():.3f}  lr {schedule.get_last_lr()[0]:.2e}  {elapsed:.0f}s', flush=True)
            history.append({'step': step, 'train_loss': round(loss.item(), 4)})
    train_seconds = time.time() - train_started
    valid_loss = evaluate(model, valid_data, args.batch)
    print(f'held-out loss {valid_loss:.3f}, perplexity {math.exp(valid_loss):.1f} (per token), trained {train_seconds:.0f}s')

    onnx_path = out_dir / 'onnx' / 'model.onnx'
    export_onnx(model, onnx_path)
    write_model_files(out_dir, config, vocab, merges)

    checks = []
    for messages in (
        [{'role': 'system', 'content': 'You are Ada, a friendly persona who answers with a short saying.'},
         {'role': 'user', 'content': 'Tell me something about love.'}],
        [{'role': 'user', 'content': 'What does the future hold for me?'}],
    ):
        prompt_ids = tokenizer.encode(render(messages, add_generation_prompt=True))
        reply_ids = greedy(model, prompt_ids, max_new_tokens=48)
        reply = tokenizer.decode([i for i in reply_ids if i != SPECIAL_TOKENS.index(EOS)])
        print(f'greedy reply to {messages[-1]["content"]!r}: {reply!r} (ended with eos: {reply_ids[-1] == SPECIAL_TOKENS.index(EOS)})')
        checks.append({'messages': messages, 'prompt_ids': prompt_ids, 'greedy_reply_ids': reply_ids, 'greedy_reply': reply})

    report = {
        'seed': SEED,
        'parameters': params,
        'config': config.to_dict(),
        'train': {'steps': args.steps, 'batch': args.batch, 'seq': args.seq, 'lr': args.lr,
                  'tokens_seen': args.steps * args.batch * args.seq, 'train_tokens': len(train_stream),
                  'seconds': round(train_seconds), 'threads': torch.get_num_threads(), 'history': history},
        'held_out': {'tokens': len(valid_stream), 'loss': round(valid_loss, 4), 'perplexity': round(math.exp(valid_loss), 2)},
        'onnx_bytes': os.path.getsize(onnx_path),
        'greedy_checks': checks,
    }
    byte_bpe.write(args.report, report)
    print(f'wrote {out_dir} ({os.path.getsize(onnx_path) / 1e6:.1f} MB onnx) and {args.report}')


if __name__ == '__main__':
    main()
