# A Llama-style decoder in plain PyTorch (RMSNorm, rotary positions in the HF "rotate half" layout, SwiGLU,
# grouped-query attention), written so one forward serves training and the ONNX export with a KV cache.
import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class NanoLlamaConfig:
    vocab_size: int = 2048
    hidden_size: int = 192
    intermediate_size: int = 512
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    num_key_value_heads: int = 2
    max_position_embeddings: int = 512
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict:
        return {**asdict(self), 'head_dim': self.head_dim}


class RmsNorm(nn.Module):
    def __init__(self, size: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Rotary(nn.Module):
    def __init__(self, config: NanoLlamaConfig):
        super().__init__()
        inv_freq = 1.0 / (config.rope_theta ** (torch.arange(0, config.head_dim, 2).float() / config.head_dim))
        self.register_buffer('inv_freq', inv_freq, persistent=False)

    def forward(self, position_ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # position_ids [batch, seq] -> cos, sin [batch, 1, seq, head_dim]
        freqs = position_ids.float().unsqueeze(-1) * self.inv_freq
        angles = torch.cat((freqs, freqs), dim=-1).unsqueeze(1)
        return angles.cos(), angles.sin()


class Attention(nn.Module):
    def __init__(self, config: NanoLlamaConfig):
        super().__init__()
        self.heads = config.num_attention_heads
        self.kv_heads = config.num_key_value_heads
        self.head_dim = config.head_dim
        self.q_proj = nn.Linear(config.hidden_size, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(config.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(config.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, config.hidden_size, bias=False)

    @staticmethod
    def _repeat_kv(t: torch.Tensor, groups: int) -> torch.Tensor:
        # expand + reshape rather than repeat_interleave: it exports to plain ONNX ops with dynamic lengths.
        if groups == 1:
            return t
        batch, kv_heads, length, head_dim = t.shape
        return t.unsqueeze(2).expand(batch, kv_heads, groups, length, head_dim).reshape(batch, kv_heads * groups, length, head_dim)

    def forward(self, x, cos, sin, bias, past_key, past_value):
        batch, seq, _ = x.shape
        q = self.q_proj(x).view(batch, seq, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past_key is not None:
            k = torch.cat((past_key, k), dim=2)
            v = torch.cat((past_value, v), dim=2)
        present = (k, v)
        groups = self.heads // self.kv_heads
        k = self._repeat_kv(k, groups)
        v = self._repeat_kv(v, groups)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + bias
        out = torch.matmul(scores.softmax(-1), v)
        out = out.transpose(1, 2).reshape(batch, seq, self.heads * self.head_dim)
        return self.o_proj(out), present


class Mlp(nn.Module):
    def __init__(self, config: NanoLlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, config: NanoLlamaConfig):
        super().__init__()
        self.input_layernorm = RmsNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = RmsNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = Mlp(config)

    def forward(self, x, cos, sin, bias, past_key, past_value):
        attended, present = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_key, past_value)
        x = x + attended
        return x + self.mlp(self.post_attention_layernorm(x)), present


class NanoLlama(nn.Module):
    def __init__(self, config: NanoLlamaConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(Block(config) for _ in range(config.num_hidden_layers))
        self.norm = RmsNorm(config.hidden_size, config.rms_norm_eps)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.rotary = Rotary(config)
        self.apply(self._init_weights)
        # GPT-2 style: shrink the residual projections so the residual stream starts near identity.
        for name, param in self.named_parameters():
            if name.endswith('o_proj.weight') or name.endswith('down_proj.weight'):
                nn.init.normal_(param, std=0.02 / math.sqrt(2 * config.num_hidden_layers))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        """input_ids, position_ids [batch, seq]; attention_mask [batch, past + seq] (1 = attend);
        past: per layer (key, value) [batch, kv_heads, past_seq, head_dim] or None.
        Returns logits [batch, seq, vocab] and the present (key, value) per layer."""
        hidden, presents = self.features(input_ids, attention_mask, position_ids, past)
        return self.lm_head(hidden), presents

    def features(self, input_ids, attention_mask, position_ids, past=None):
        """The final normed hidden states [batch, seq, hidden] (training computes logits only where the loss is)."""
        seq = input_ids.shape[1]
        total = attention_mask.shape[1]
        past_len = total - seq
        # Query i sits at absolute slot past_len + i and may see slots 0..past_len + i that the mask keeps.
        slots = torch.arange(total, device=input_ids.device)
        query_slots = torch.arange(seq, device=input_ids.device) + past_len
        causal = slots.unsqueeze(0) <= query_slots.unsqueeze(1)  # [seq, total]
        allowed = causal.unsqueeze(0).unsqueeze(0) & attention_mask.bool().unsqueeze(1).unsqueeze(2)
        bias = (~allowed).float() * -1e9  # additive mask; finite, so a fully masked row cannot give NaN

        cos, sin = self.rotary(position_ids)
        x = self.embed_tokens(input_ids)
        presents = []
        for index, layer in enumerate(self.layers):
            past_key, past_value = past[index] if past is not None else (None, None)
            x, present = layer(x, cos, sin, bias, past_key, past_value)
            presents.append(present)
        return self.norm(x), presents
