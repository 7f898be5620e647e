#!/usr/bin/python3
"""PyTorch golden fixture for Kiln's next-token sampler (nn.generate.NucleusSampler).

    /usr/bin/python3 nn/src/test/python/sampling_fixtures.py nn/src/test/resources/golden

nucleus_sampling.txt: random logits [6, 32] (float32; one row with a dominant token, one nearly
flat) and, for several (temperature, top_p) pairs, the distribution a token is drawn from, as
Hugging Face's TemperatureLogitsWarper + TopPLogitsWarper build it (logits / T; sort ascending,
drop the tokens whose cumulative probability is <= 1 - top_p, keep at least the top one;
softmax of the rest), written here in plain torch ops and computed in float64.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "autograd", "src", "test", "python"))
from kiln_fixtures import Writer, f32  # noqa: E402

SCRIPT = "nn/src/test/python/sampling_fixtures.py"
CONFIGS = [(1.0, 1.0), (0.7, 1.0), (1.0, 0.9), (1.3, 0.5), (0.5, 0.95), (2.0, 0.3)]


def warped_probs(logits, temperature, top_p):
    scores = logits / temperature
    sorted_logits, sorted_idx = torch.sort(scores, descending=False, dim=-1)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - top_p)
    remove_sorted[..., -1:] = False  # min_tokens_to_keep = 1
    remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
    return scores.masked_fill(remove, float("-inf")).softmax(dim=-1)


def main(out_dir):
    torch.manual_seed(2026)
    logits = f32(torch.randn(6, 32, dtype=torch.float64) * 2)
    logits[1, 5] += 9.0  # one token holds nearly all the mass
    logits[2] = f32(logits[2] * 0.05)  # nearly flat: the nucleus is most of the vocabulary
    w = Writer(os.path.join(out_dir, "nucleus_sampling.txt"), "temperature + top-p warped distributions", SCRIPT)
    w.tensor("logits", logits, "f32")
    for i, (t, p) in enumerate(CONFIGS):
        w.tensor(f"c{i}.temperature", torch.tensor([t], dtype=torch.float64), "f64")
        w.tensor(f"c{i}.top_p", torch.tensor([p], dtype=torch.float64), "f64")
        w.tensor(f"c{i}.probs", warped_probs(logits, t, p), "f64")
    w.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "resources", "golden"))
