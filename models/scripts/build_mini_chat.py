# Builds models/doppel-mini-chat: conversations generated from persona templates (dialogue_corpus.py) with WordNet
# definitions and dictionary-clean fortunes as the natural text, a byte-level BPE tokenizer, a small Llama trained on
# CPU with the loss on the assistant's words only, and the same ONNX layout as doppel-nano-chat.
# Checkpoints every --checkpoint-every steps into --work and resumes from there when run again with the same arguments.
# Run with Debian's interpreter, two threads: see models/README.md for the exact command.
import argparse
import hashlib
import json
import math
import os
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import byte_bpe
import dialogue_corpus
import dialogue_v2
import wordnet_topics
from build_nano_chat import EOS, SPECIAL_TOKENS, export_onnx, greedy, render, seed_everything, write_model_files
from nano_llama import NanoLlama, NanoLlamaConfig

MODELS_DIR = Path(__file__).resolve().parent.parent
SEED = 2024
FORTUNE_DIR = Path('/usr/share/games/fortunes')
PAD_ID, BOS_ID, EOS_ID, _, TURN_START_ID = range(5)

# The demo persona (apps/cli/src/seed.command.ts) as the runtime's prompt assembler renders it: the greedy reference
# that smoke.mjs compares the ONNX graph against, and a quick look at the model after training.
DEMO_SYSTEM = (
    'You are Ada, a retired lighthouse keeper. Speak plainly and kindly, and use what you remember about the user.\n\n'
    'About you: A retired lighthouse keeper from the Hebrides who now repairs old clocks and remembers everyone she talks to.\n\n'
    'Personality and style: Warm, dry humour, short sentences. Asks one question back. Never pretends to know what she does not.\n\n'
    'Example exchanges:\nUser: What was the lighthouse like?\nAda: Cold stairs, warm lamp. Two hundred and twelve steps. Do you like heights?'
)
DEMO_GREETING = 'Evening. Kettle is on. What brings you up the hill?'
CHECK_CONVERSATIONS = [
    [{'role': 'system', 'content': DEMO_SYSTEM}, {'role': 'assistant', 'content': DEMO_GREETING},
     {'role': 'user', 'content': 'Hello Ada'}],
    [{'role': 'system', 'content': DEMO_SYSTEM}, {'role': 'assistant', 'content': DEMO_GREETING},
     {'role': 'user', 'content': 'My name is Zed and I live in Lisbon. What do you do all day?'}],
    [{'role': 'system', 'content': DEMO_SYSTEM + f'\n\n{dialogue_corpus.MEMORY_HEADER}\n- About them: Their name is Zed.\n'
                                                 '- They said: My name is Zed and I live in Lisbon.'},
     {'role': 'assistant', 'content': DEMO_GREETING}, {'role': 'user', 'content': 'What is my name?'}],
    [{'role': 'system', 'content': DEMO_SYSTEM}, {'role': 'assistant', 'content': DEMO_GREETING},
     {'role': 'user', 'content': 'Tell me about the sea.'}],
]


def encode_conversation(tokenizer: byte_bpe.ByteBpe, messages: list[dict], limit: int) -> tuple[list[int], list[int]] | None:
    """Token ids and a 0/1 loss mask (1 on the assistant's words and its <|im_end|>), whole exchanges only, at most
    `limit` tokens. The pieces are encoded one by one; the chat format's newlines keep that equal to encoding the
    rendered text at once (checked in main)."""
    ids, mask = [BOS_ID], [0]
    kept: list[tuple[list[int], list[int]]] = []
    for message in messages:
        head = tokenizer.encode(f"<|im_start|>{message['role']}\n")
        body = tokenizer.encode(message['content'])
        tail = [EOS_ID] + tokenizer.encode('\n')
        learn = 1 if message['role'] == 'assistant' else 0
        kept.append((head + body + tail, [0] * len(head) + [learn] * (len(body) + 1) + [0] * (len(tail) - 1)))
    for piece_ids, piece_mask in kept:
        if len(ids) + len(piece_ids) > limit:
            break
        ids += piece_ids
        mask += piece_mask
    # End on a finished assistant turn; a conversation that cannot hold one exchange is dropped.
    while len(ids) > 1 and mask[-2] != 1:
        cut = max(i for i, m in enumerate(mask[:-1]) if m == 1) + 2 if any(mask[:-1]) else 1
        ids, mask = ids[:cut], mask[:cut]
    return (ids, mask) if sum(mask) > 0 else None


def make_batches(encoded: list[tuple[list[int], list[int]]], batch: int, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Shuffled, then length-sorted within chunks of 16 batches so padding stays small; batch order shuffled again."""
    rng = random.Random(seed)
    order = list(range(len(encoded)))
    rng.shuffle(order)
    chunk = batch * 16
    batches = []
    for start in range(0, len(order) - batch + 1, chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(encoded[i][0]))
        for b in range(0, len(part) - batch + 1, batch):
            rows = [encoded[i] for i in part[b:b + batch]]
            width = max(len(r[0]) for r in rows)
            ids = torch.full((batch, width), PAD_ID, dtype=torch.long)
            mask = torch.zeros((batch, width), dtype=torch.bool)
            for r, (row_ids, row_mask) in enumerate(rows):
                ids[r, :len(row_ids)] = torch.tensor(row_ids)
                mask[r, :len(row_mask)] = torch.tensor(row_mask, dtype=torch.bool)
            batches.append((ids, mask))
    rng.shuffle(batches)
    return batches


def batch_loss(model: NanoLlama, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    inputs, targets, learn = ids[:, :-1], ids[:, 1:], mask[:, 1:]
    positions = torch.arange(inputs.shape[1]).unsqueeze(0).expand_as(inputs)
    hidden, _ = model.features(inputs, (inputs != PAD_ID).long() | (positions == 0).long(), positions)
    logits = model.lm_head(hidden[learn])
    return F.cross_entropy(logits, targets[learn])


@torch.no_grad()
def evaluate(model: NanoLlama, batches) -> float:
    model.eval()
    total, count = 0.0, 0
    for ids, mask in batches:
        n = int(mask[:, 1:].sum())
        total += batch_loss(model, ids, mask).item() * n
        count += n
    model.train()
    return total / count


def read_tokenizer(model_dir: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    model = json.loads((model_dir / 'tokenizer.json').read_text(encoding='utf-8'))['model']
    return model['vocab'], [(a, b) for a, b in model['merges']]


def load_onnx_weights(model: NanoLlama, onnx_path: Path, scratch: Path) -> None:
    """Loads the weights of an exported model into `model` (same architecture). The export names some weights after
    their MatMul node and stores them transposed, so those are matched by exporting `model` itself once and
    finding each of its parameters among that export's initializers."""
    import onnx
    from onnx import numpy_helper

    export_onnx(model, scratch)
    own = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(str(scratch)).graph.initializer}
    theirs = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(str(onnx_path)).graph.initializer}
    scratch.unlink()
    state = model.state_dict()
    loaded = set()
    for name, param in model.named_parameters():
        if f'model.{name}' in theirs:  # the wrapper's attribute is `model`; norms and the embedding keep their names
            state[name] = theirs[f'model.{name}']
            loaded.add(name)
            continue
        for init_name, value in own.items():
            if value.shape == param.shape and torch.equal(value, param.detach()):
                state[name] = theirs[init_name]
            elif value.dim() == 2 and value.shape == param.shape[::-1] and torch.equal(value.t(), param.detach()):
                state[name] = theirs[init_name].t().contiguous()
            else:
                continue
            loaded.add(name)
            break
    missing = [name for name, _ in model.named_parameters() if name not in loaded]
    if missing:
        raise SystemExit(f'{onnx_path}: no weights found for {missing}')
    model.load_state_dict(state)
    model.train()


def save_checkpoint(path: Path, state: dict) -> None:
    tmp = path.with_suffix('.tmp')
    torch.save(state, tmp)
    os.replace(tmp, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=900)
    parser.add_argument('--decay-steps', type=int, default=150, help='the last steps, where the learning rate falls to 10%%')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--seq', type=int, default=512, help='longest training conversation in tokens')
    parser.add_argument('--lr', type=float, default=3e-3)
    parser.add_argument('--vocab', type=int, default=2048)
    parser.add_argument('--hidden', type=int, default=192)
    parser.add_argument('--layers', type=int, default=5)
    parser.add_argument('--mlp', type=int, default=512)
    parser.add_argument('--conversations', type=int, default=6000)
    parser.add_argument('--checkpoint-every', type=int, default=25)
    parser.add_argument('--max-minutes', type=float, default=0, help='stop (after a checkpoint) once this much time has passed; 0 = no limit')
    parser.add_argument('--extra-steps', type=int, default=0, help='a second phase after --steps: the rate rises again to --extra-lr and falls linearly to 10%%')
    parser.add_argument('--extra-lr', type=float, default=1e-3)
    parser.add_argument('--corpus', type=int, choices=(1, 2), default=1, help='1: dialogue_corpus.py; 2: dialogue_v2.py (needs --init-from)')
    parser.add_argument('--init-from', help='a built model folder: start from its weights and keep its tokenizer')
    parser.add_argument('--export-only', action='store_true', help='export the latest checkpoint as it is, without training on')
    parser.add_argument('--out', default=str(MODELS_DIR / 'doppel-mini-chat'))
    parser.add_argument('--work', default=str(MODELS_DIR / '.work' / 'mini-chat'))
    parser.add_argument('--report', default=str(MODELS_DIR / 'eval' / 'mini-chat-report.json'))
    args = parser.parse_args()

    torch.set_num_threads(2)
    seed_everything(SEED)
    out_dir, work_dir = Path(args.out), Path(args.work)
    work_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()

    if args.corpus == 2 and not args.init_from:
        raise SystemExit('--corpus 2 needs --init-from (its word filter is the tokenizer of that model)')
    words = wordnet_topics.dictionary_words()
    topics = wordnet_topics.read_topics()
    sayings = dialogue_corpus.read_sayings(FORTUNE_DIR, words)
    if args.init_from:
        vocab, merges = read_tokenizer(Path(args.init_from))
        tokenizer = byte_bpe.ByteBpe(vocab, merges, SPECIAL_TOKENS)
        print(f'tokenizer of {args.init_from}: {len(vocab)} tokens', flush=True)
    if args.corpus == 2:
        pieces = lambda word: len(tokenizer.encode(' ' + word))  # noqa: E731
        nouns = dialogue_v2.safe_nouns(topics, pieces)
        sayings = dialogue_v2.plain_sayings(sayings, pieces)
        conversations = dialogue_v2.build_conversations(args.conversations, SEED, nouns, sayings)
        held_out = dialogue_v2.build_conversations(160, SEED + 1, nouns, sayings)
        topics = sorted(dialogue_v2.EVERYDAY.items())
        print(f'{len(nouns)} one-piece nouns, {len(topics)} described things, {len(sayings)} sayings, {len(conversations)} conversations', flush=True)
    else:
        conversations = dialogue_corpus.build_conversations(args.conversations, SEED, topics, sayings)
        held_out = dialogue_corpus.build_conversations(160, SEED + 1, topics, sayings)
        print(f'{len(topics)} WordNet topics, {len(sayings)} sayings, {len(conversations)} conversations ({time.time() - started:.0f}s)', flush=True)

    if not args.init_from:
        tokenizer_texts = [render(c) for c in conversations[:3000]]
        vocab, merges = byte_bpe.train(tokenizer_texts + [' '.join(w for w, _ in topics), ' '.join(d for _, d in topics), *sayings],
                                       args.vocab, SPECIAL_TOKENS)
        tokenizer = byte_bpe.ByteBpe(vocab, merges, SPECIAL_TOKENS)
        print(f'tokenizer: {len(vocab)} tokens ({time.time() - started:.0f}s)', flush=True)

    encoded = [e for e in (encode_conversation(tokenizer, c, args.seq + 1) for c in conversations) if e]
    for conversation, (ids, _) in zip(conversations[:200], encoded[:200]):
        full = tokenizer.encode(render(conversation))
        assert full[:len(ids)] == ids, 'piecewise encoding differs from encoding the rendered conversation'
    valid = [e for e in (encode_conversation(tokenizer, c, args.seq + 1) for c in held_out) if e]
    train_batches = make_batches(encoded, args.batch, SEED)
    valid_batches = make_batches(valid, args.batch, SEED + 1)
    train_tokens = sum(len(e[0]) for e in encoded)
    learn_tokens = sum(sum(e[1]) for e in encoded)
    chars = sum(len(render(c)) for c in conversations[:500])
    print(f'train: {train_tokens} tokens ({learn_tokens} learned), {len(train_batches)} batches; '
          f'{chars / sum(len(e[0]) for e in encoded[:500]):.2f} chars/token; held out {len(valid)} conversations', flush=True)
    corpus_digest = hashlib.sha256(json.dumps(encoded[:1000]).encode()).hexdigest()[:16]

    config = NanoLlamaConfig(vocab_size=len(vocab), hidden_size=args.hidden, intermediate_size=args.mlp,
                             num_hidden_layers=args.layers, num_attention_heads=args.hidden // 32, num_key_value_heads=2,
                             max_position_embeddings=512)
    model = NanoLlama(config)
    params = sum(p.numel() for p in model.parameters())
    if args.init_from:
        load_onnx_weights(model, Path(args.init_from) / 'onnx' / 'model.onnx', work_dir / 'scratch.onnx')
        print(f'weights of {args.init_from}', flush=True)
    print(f'model: {params / 1e6:.2f}M parameters, config {config.to_dict()}', flush=True)

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}],
                                  lr=args.lr, betas=(0.9, 0.95))
    # Warmup, a constant rate, then a linear fall to 10% over the last --decay-steps. Until the fall starts the rate does
    # not depend on --steps, so a run may be resumed with fewer (or more) steps and equal a fresh run with that number.
    warmup, decay_from = 24, args.steps - args.decay_steps
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * (1.0 if step < decay_from else 1.0 - 0.9 * (step - decay_from) / args.decay_steps))

    checkpoint_path = work_dir / f'checkpoint-{corpus_digest}-{args.batch}-{args.lr}-{params}.pt'
    start_step, history, trained_seconds = 0, [], 0.0
    if checkpoint_path.exists():
        state = torch.load(checkpoint_path)
        model.load_state_dict(state['model'])
        optimizer.load_state_dict(state['optimizer'])
        schedule.load_state_dict(state['schedule'])
        start_step, history, trained_seconds = state['step'], state['history'], state['seconds']
        if start_step > decay_from and (state.get('steps'), state.get('decay_steps')) != (args.steps, args.decay_steps):
            raise SystemExit(f'the checkpoint is past the start of its learning-rate fall (--steps {state["steps"]} --decay-steps {state["decay_steps"]}): resume with those')
        if start_step > args.steps + args.extra_steps:
            raise SystemExit(f'the checkpoint is at step {start_step}, past --steps + --extra-steps: delete {work_dir} to start over')
        print(f'resumed from {checkpoint_path.name} at step {start_step}', flush=True)

    run_started = time.time()
    step = start_step
    total_steps = args.steps + args.extra_steps
    while step < total_steps and not args.export_only:
        if step >= args.steps:  # the second phase sets its own rate
            for group in optimizer.param_groups:
                group['lr'] = args.extra_lr * (1.0 - 0.9 * (step - args.steps) / args.extra_steps)
        ids, mask = train_batches[step % len(train_batches)]
        loss = batch_loss(model, ids, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step < args.steps:
            schedule.step()
        step += 1
        if step % 25 == 0 or step == total_steps or step == start_step + 1:
            elapsed = trained_seconds + time.time() - run_started
            print(f'step {step:5d}  loss {loss.item():.3f}  lr {optimizer.param_groups[0]["lr"]:.2e}  {elapsed:.0f}s', flush=True)
            history.append({'step': step, 'train_loss': round(loss.item(), 4)})
        if step % args.checkpoint_every == 0 or step == total_steps:
            save_checkpoint(checkpoint_path, {'model': model.state_dict(), 'optimizer': optimizer.state_dict(),
                                              'schedule': schedule.state_dict(), 'step': step, 'history': history,
                                              'steps': args.steps, 'decay_steps': args.decay_steps,
                                              'seconds': trained_seconds + time.time() - run_started})
            if args.max_minutes and (time.time() - run_started) / 60 > args.max_minutes and step < total_steps:
                print(f'stopping at step {step} after {args.max_minutes} minutes; run again to resume', flush=True)
                return
    train_seconds = trained_seconds + (0 if args.export_only else time.time() - run_started)
    valid_loss = evaluate(model, valid_batches)
    print(f'held-out loss on the replies {valid_loss:.3f}, perplexity {math.exp(valid_loss):.2f}; trained {train_seconds:.0f}s', flush=True)

    (out_dir / 'onnx').mkdir(parents=True, exist_ok=True)
    onnx_path = out_dir / 'onnx' / 'model.onnx'
    export_onnx(model, onnx_path)
    write_model_files(out_dir, config, vocab, merges)

    checks = []
    for messages in CHECK_CONVERSATIONS:
        prompt_ids = tokenizer.encode(render(messages, add_generation_prompt=True))
        reply_ids = greedy(model, prompt_ids, max_new_tokens=64)
        reply = tokenizer.decode([i for i in reply_ids if i != EOS_ID])
        print(f'greedy reply to {messages[-1]["content"]!r}: {reply!r} (eos: {reply_ids[-1] == EOS_ID})', flush=True)
        checks.append({'messages': messages, 'prompt_ids': prompt_ids, 'greedy_reply_ids': reply_ids, 'greedy_reply': reply})

    report = {
        'seed': SEED,
        'parameters': params,
        'config': config.to_dict(),
        'init_from': Path(args.init_from).name if args.init_from else None,
        'data': {'corpus': args.corpus, 'conversations': len(encoded), 'wordnet_topics': len(topics), 'sayings': len(sayings),
                 'train_tokens': train_tokens, 'learned_tokens': learn_tokens, 'first_1000_digest': corpus_digest},
        'train': {'steps': step, 'scheduled_steps': args.steps, 'decay_steps': args.decay_steps,
                  'extra_steps': args.extra_steps, 'extra_lr': args.extra_lr, 'batch': args.batch, 'max_seq': args.seq, 'lr': args.lr,
                  'seconds': round(train_seconds), 'threads': torch.get_num_threads(), 'history': history},
        'held_out': {'conversations': len(valid), 'reply_loss': round(valid_loss, 4), 'reply_perplexity': round(math.exp(valid_loss), 3)},
        'onnx_bytes': os.path.getsize(onnx_path),
        'greedy_checks': checks,
    }
    byte_bpe.write(args.report, report)
    print(f'wrote {out_dir} ({os.path.getsize(onnx_path) / 1e6:.1f} MB onnx) and {args.report}', flush=True)


if __name__ == '__main__':
    main()
