"""Reference fixtures for Kiln's byte-level BPE tokenizer (dev.kiln.data.tokenize), computed with
Hugging Face `tokenizers` (pip install tokenizers; default python3, not /usr/bin/python3).

Writes, under data/src/test/resources/tokenize/:
  hf_tokenizer.json  a ByteLevel BPE trained by Hugging Face on corpus.txt (vocab 500, min
                     frequency 2, special token <|endoftext|>, all 256 bytes in the alphabet)
  bpe_fixtures.json  for every test string: the pre-tokenizer's words (byte-level spelling), the
                     ids hf_tokenizer.json gives and their decode; decodes of id sequences whose
                     bytes are invalid UTF-8; the merges Hugging Face learns on corpus.txt with
                     other settings; and, when kiln_tokenizer.json exists, the ids Hugging Face
                     gives with Kiln's own trained file (which Kiln must reproduce).

kiln_tokenizer.json is written by Kiln (BpeCrossCheckTest with -Dkiln.bpe.writeFixture=true, which
also writes kiln_ids.json, Kiln's ids for the test strings). Regenerate everything with:
  mvn -o -q -pl data -am verify -Dtest=BpeCrossCheckTest -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.bpe.writeFixture=true
  python3 data/src/test/python/bpe_fixtures.py
(the Java test fails until the fixtures agree with what Kiln computes.)
"""
import json
import os
import random
import sys

import tokenizers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "resources", "tokenize"))
SPECIAL = "<|endoftext|>"

TRICKY = [
    "",
    "hello world",
    "Hello, World! It's the kiln's fire.",
    "  leading spaces and trailing   ",
    "a  b   c    d",
    "tabs\tand\t\ttabs",
    "line one\nline two\n\nline four\r\nwindows line\r\n",
    "\n\n\n",
    "   ",
    " ",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE",
    "don't shouldn't've y'all 'tis rock'n'roll ''s '''",
    "it’s a curly apostrophe",
    "numbers 1 12 123 1234 12345 3.14159 1e-6 0x1F 42% $19.99",
    "١٢٣ ٤٥٦ Ⅻ ½ ² ③",
    "Zoë Noël Ångström",
    "e\u0301 a\u0300\u0301\u0302 \u0301alone",
    "ñ vs n\u0303",
    "emoji 🔥🔥🏺 family 👨‍👩‍👧 flag 🇫🇷",
    "math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛",
    "和紙に書かれた頁もある。窯の火は三日三晩燃え続けた。",
    "한국어 텍스트",
    "صفحة أخرى تقول: الفرن جاهز.",
    "עמוד אחר אומר: התנור מוכן.",
    "एक पृष्ठ कहता है: भट्टी तैयार है।",
    "nbsp\u00a0here and\u00a0\u00a0two",
    "ideographic\u3000space and\u2028line sep\u2029para",
    "no-break\u202fnarrow, ogham\u1680mark, em\u2003space",
    "zero\u200bwidth\u200bspace and\ufeffbom",
    "info sep\x1c\x1d\x1e\x1f and vt\x0b ff\x0c nel\x85",
    "controls \x00\x01\x07\x7f end",
    "soft\u00adhyphen",
    "<|endoftext|>",
    "before<|endoftext|>after",
    "two<|endoftext|><|endoftext|>specials",
    "space <|endoftext|> around",
    "  <|endoftext|>  ",
    "<|endoftext|",
    "<|endoftext|>The kiln was fired again.<|endoftext|>",
    "The kiln was fired again in 1951, 1967, 1988 and 2004; each time the village came to watch.",
    "!!!??? ... --- *** ### @@@",
    "a" * 100,
    " " * 70 + "x",
    "9" * 90,
    "=-" * 40,
    "mixed123abc456 ABC_def-ghi.jkl",
    "URL https://example.com/path?q=1&r=two#frag",
    "email someone@example.org, path C:\\Users\\kiln\\file.txt",
    "CamelCaseWordsAndSnake_case_words",
    "\u0000",
    "end with newline\n",
]


def random_strings(seed, count):
    """Strings mixing ASCII, Latin, combining marks, CJK, supplementary-plane characters and whitespace runs."""
    rng = random.Random(seed)
    pools = [
        (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E),   # ASCII, three times as likely
        (0xA0, 0x24F),                              # Latin-1 and Latin Extended
        (0x300, 0x36F),                             # combining diacritics
        (0x370, 0x52F),                             # Greek, Cyrillic
        (0x590, 0x6FF),                             # Hebrew, Arabic
        (0x900, 0x97F),                             # Devanagari
        (0x2000, 0x206F),                           # general punctuation (spaces, joiners)
        (0x3000, 0x30FF),                           # CJK punctuation, kana
        (0x4E00, 0x9FFF),                           # CJK ideographs
        (0xAC00, 0xD7A3),                           # Hangul
        (0x1D400, 0x1D7FF),                         # mathematical alphanumerics
        (0x1F300, 0x1FAFF),                         # emoji
        (0x10000, 0x10FFFF),                        # anything beyond the BMP
    ]
    whitespace = [" ", "  ", "   ", "\n", "\n\n", "\t", "\r\n", " \n ", "\u00a0", "\u3000"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 25)):
            r = rng.random()
            if r < 0.2:
                parts.append(rng.choice(whitespace))
            elif r < 0.23:
                parts.append(SPECIAL)
            elif r < 0.3:
                parts.append(rng.choice(["'s", "'ll", "'re", "'t", "'", "''"]))
            else:
                lo, hi = rng.choice(pools)
                cp = rng.randint(lo, hi)
                if 0xD800 <= cp <= 0xDFFF:
                    cp = 0xFFFD
                parts.append(chr(cp) * rng.choice([1, 1, 1, 2, 3]))
        out.append("".join(parts))
    return out


def byte_level_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    return tok


def train(corpus_lines, vocab_size, min_frequency, special_tokens):
    tok = byte_level_tokenizer()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                  special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus_lines, trainer=trainer)
    return tok


def merges_of(tok):
    return [list(m) if isinstance(m, list) else m.split(" ", 1) for m in json.loads(tok.to_str())["model"]["merges"]]


def byte_tokens(tok, byte_values):
    """Ids of the single-byte tokens for the given byte values."""
    alphabet = {}
    # GPT-2's table: printable Latin-1 maps to itself, the rest to U+0100 + n in byte order.
    n = 0
    for b in range(256):
        if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255:
            alphabet[b] = chr(b)
        else:
            alphabet[b] = chr(256 + n)
            n += 1
    return [tok.token_to_id(alphabet[b]) for b in byte_values]


def main():
    with open(os.path.join(OUT, "corpus.txt"), encoding="utf-8") as f:
        corpus = f.read()
    # One training text per line, as the Java test feeds them (a line keeps its newline).
    lines = corpus.splitlines(keepends=True)

    hf = train(lines, 500, 2, [SPECIAL])
    hf.save(os.path.join(OUT, "hf_tokenizer.json"))

    strings = TRICKY + random_strings(1234, 100)
    pre = hf.pre_tokenizer
    cases = []
    for s in strings:
        enc = hf.encode(s)
        # The pre-tokenizer's words of the text between special tokens (Kiln splits those out first).
        words = [[w for w, _ in pre.pre_tokenize_str(part)] for part in s.split(SPECIAL)]
        cases.append({
            "text": s,
            "words": words,
            "ids": enc.ids,
            "decoded": hf.decode(enc.ids, skip_special_tokens=False),
        })

    # Decodes of byte sequences that are not valid UTF-8 (each id below is a single-byte token).
    invalid = [
        [0xE2, 0x82], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x94], [0x80, 0x80, 0x41],
        [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x28, 0xA1], [0x61, 0xF0, 0x9F, 0x94, 0xA5, 0xF0, 0x62],
        [0xC2], [0xFE, 0xFE, 0xFF], [0xE0, 0x80, 0xAF],
    ]
    decodes = []
    for bs in invalid:
        ids = byte_tokens(hf, bs)
        decodes.append({"bytes": bs, "ids": ids, "decoded": hf.decode(ids, skip_special_tokens=False)})

    # Lenient decoding of random byte strings biased to UTF-8's lead and continuation bytes (Python's
    # errors="replace" follows the same maximal-subpart rule as Rust's from_utf8_lossy).
    rng = random.Random(99)
    interesting = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED,
                   0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
    lossy = []
    for _ in range(300):
        bs = bytes(rng.choice(interesting) if rng.random() < 0.8 else rng.randrange(256)
                   for _ in range(rng.randint(1, 12)))
        lossy.append({"hex": bs.hex(), "decoded": bs.decode("utf-8", errors="replace")})

    # Merges learned with other settings, for the trainer comparison (many ties at count 1 and 2).
    other_trainings = []
    for vocab_size, min_frequency, specials in [(1000, 0, []), (700, 3, [SPECIAL, "<pad>"])]:
        t = train(lines, vocab_size, min_frequency, specials)
        other_trainings.append({"vocab_size": vocab_size, "min_frequency": min_frequency,
                                "special_tokens": specials, "merges": merges_of(t)})

    fixture = {
        "tokenizers_version": tokenizers.__version__,
        "cases": cases,
        "invalid_utf8_decodes": decodes,
        "lossy_utf8": lossy,
        "trainings": other_trainings,
    }

    kiln_file = os.path.join(OUT, "kiln_tokenizer.json")
    kiln_ids_file = os.path.join(OUT, "kiln_ids.json")
    if os.path.exists(kiln_file):
        kiln_tok = Tokenizer.from_file(kiln_file)
        kiln_cases = []
        kiln_ids = None
        if os.path.exists(kiln_ids_file):
            with open(kiln_ids_file, encoding="utf-8") as f:
                kiln_ids = json.load(f)
        agree = 0
        for i, s in enumerate(strings):
            ids = kiln_tok.encode(s).ids
            kiln_cases.append({"ids": ids, "decoded": kiln_tok.decode(ids, skip_special_tokens=False)})
            if kiln_ids is not None and i < len(kiln_ids) and kiln_ids[i] == ids:
                agree += 1
        fixture["kiln_tokenizer_in_hf"] = {
            "cases": kiln_cases,
            "kiln_ids_agreeing": agree,
            "kiln_ids_compared": 0 if kiln_ids is None else len(kiln_ids),
        }
        print(f"Kiln's tokenizer.json in Hugging Face: {agree} of {len(strings)} test strings give Kiln's ids",
              file=sys.stderr)
    else:
        print("no kiln_tokenizer.json yet: run the Java test with -Dkiln.bpe.writeFixture=true first",
              file=sys.stderr)

    with open(os.path.join(OUT, "bpe_fixtures.json"), "w", encoding="utf-8") as f:
        f.write(compact_json(fixture))


def compact_json(value, indent=0):
    """JSON with one line per list item or object field down to the items of top-level lists (small diffs, small file)."""
    if indent >= 2 or not isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {compact_json(v, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}" + ("\n" if indent == 0 else "")
    items = [pad + compact_json(v, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


if __name__ == "__main__":
    main()
