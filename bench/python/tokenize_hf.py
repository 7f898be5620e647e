#!/usr/bin/env python3
"""Hugging Face `tokenizers` (Rust) reference for `kiln bench tokenize` (pip install tokenizers).

  tokenize_hf.py --serve --tokenizer T.json --docs D.jsonl --threads N
      loads Kiln's tokenizer.json and the documents (one JSON string per line), prints a ready
      line, then answers one JSON line per request line on stdin:

  {"op": "check", "ids": "K.jsonl"}   compares its ids for every document with Kiln's (one JSON
                                      list per line): {"mismatched": documents that differ, "first": index or -1}
  {"op": "encode", "samples": S}      times encoding all documents S times, the best pass counts:
                                      one thread: tokenizer.encode per document; more: encode_batch
                                      (rayon, RAYON_NUM_THREADS = N): {"seconds": best}
  {"op": "cold"}                      a freshly loaded tokenizer's first pass (its word cache empty): {"seconds": s}
  {"op": "train", "vocab_size": V, "min_frequency": F, "special": "<|endoftext|>"}
                                      trains a ByteLevel BPE on the documents with Hugging Face's
                                      BpeTrainer: {"seconds": s, "merges_equal": 1 if its merges are Kiln's}
"""
import argparse
import json
import sys
import time

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def encode_all(tok, docs, threads):
    if threads == 1:
        for d in docs:
            tok.encode(d, add_special_tokens=False)
    else:
        tok.encode_batch(docs, add_special_tokens=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    with open(args.docs, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    tok = Tokenizer.from_file(args.tokenizer)
    print(json.dumps({"ready": True, "tokenizers": tokenizers.__version__}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "check":
            with open(req["ids"], encoding="utf-8") as f:
                kiln = [json.loads(l) for l in f]
            mismatched, first = 0, -1
            for i, d in enumerate(docs):
                if tok.encode(d, add_special_tokens=False).ids != kiln[i]:
                    mismatched += 1
                    first = i if first < 0 else first
            answer = {"mismatched": mismatched, "first": first}
        elif op == "encode":
            best = float("inf")
            for _ in range(req.get("samples", 3)):
                t0 = time.perf_counter()
                encode_all(tok, docs, args.threads)
                best = min(best, time.perf_counter() - t0)
            answer = {"seconds": best}
        elif op == "cold":
            fresh = Tokenizer.from_file(args.tokenizer)
            t0 = time.perf_counter()
            encode_all(fresh, docs, args.threads)
            answer = {"seconds": time.perf_counter() - t0}
        elif op == "train":
            t = Tokenizer(models.BPE())
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
            t.decoder = decoders.ByteLevel()
            trainer = trainers.BpeTrainer(vocab_size=req["vocab_size"], min_frequency=req["min_frequency"],
                                          special_tokens=[req["special"]], show_progress=False,
                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
            t0 = time.perf_counter()
            t.train_from_iterator(docs, trainer=trainer)
            seconds = time.perf_counter() - t0
            ours = json.loads(t.to_str())["model"]["merges"]
            theirs = json.loads(tok.to_str())["model"]["merges"]
            answer = {"seconds": seconds, "merges_equal": 1 if ours == theirs else 0,
                      "merges": len(ours)}
        else:
            answer = {"error": "unknown op " + op}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
