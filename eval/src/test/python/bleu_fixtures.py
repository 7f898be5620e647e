"""Writes eval/src/test/resources/dev/kiln/eval/text/sacrebleu_fixtures.txt: sacreBLEU's BLEU and
chrF scores (and 13a tokenizations) of small corpora, which BleuChrfFixturesTest replays.

    pip install sacrebleu==2.6.0     # into the default python3
    python3 eval/src/test/python/bleu_fixtures.py

Format, one record per line, fields separated by tabs; every string is a JSON string literal
(ASCII-only, so tabs and newlines inside texts are escaped):
    tok13a  "input"  "tokenized"
    corpus  name  n_segments  n_reference_streams
    hyp     "text"                          (n_segments lines)
    ref     stream  "text" | null           (n_segments lines per stream, streams in order)
    bleu    key=value ...                   options, then score= counts= totals= precisions= bp= sys_len= ref_len=
    chrf    key=value ...                   options, then score=
bleu/chrf lines score the corpus above them. Numbers are Python reprs (exact doubles).
"""
import json
import os
import random

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "eval", "text", "sacrebleu_fixtures.txt")

WORDS = ("the cat dog sat on a mat and ran to house big small red blue it is was of in that "
         "quick brown fox jumps over lazy").split()
PUNCT = [",", ".", "!", "?", ";", ":", "'s", "-", "(", ")", "\""]

TRICKY = [
    "It's 3.14, or 1,000-2,000 (approx.)!",
    "e-mail -- well-known; state-of-the-art 2-3 people.",
    "&quot;Quoted&quot; &amp; &lt;tag&gt; &amp;quot; AT&T",
    "hyphen-\nated words across a line-\nbreak",
    "multi\nline\ntext",
    "<skipped> tokens are <skipped>dropped",
    "$5.00/hr at 9:30 p.m., 50% off [sic] {braces} ~tilde~ a|b c^d e_f `tick` @user #tag",
    "Mr. Smith paid 1.5 million... in 2020.Then left,quietly",
    "na\u00efve caf\u00e9 \u2014 \u201csmart quotes\u201d \u2026 \u65e5\u672c\u8a9e \U0001F600 emoji",
    "tab\tseparated\u00a0nbsp\u2007figure\u202fnarrow\u3000ideographic",
    "trailing spaces and newline   \n",
    "ends with a dash-",
    "-5 degrees, 10-20, a-b, 3- 4",
    "a.b,c d.,e 1.a a.1 ,x x, .5 5.",
    "'single' \"double\" ``latex'' <b>bold</b>",
    "",
]


def perturb(rng, words):
    out = list(words)
    for _ in range(rng.randint(0, 3)):
        op = rng.random()
        if op < 0.3 and out:
            del out[rng.randrange(len(out))]
        elif op < 0.6:
            out.insert(rng.randint(0, len(out)), rng.choice(WORDS + PUNCT))
        elif out:
            out[rng.randrange(len(out))] = rng.choice(WORDS)
    return out


def random_text(rng, lo, hi, punct=0.15):
    words = []
    for _ in range(rng.randint(lo, hi)):
        words.append(rng.choice(PUNCT) if rng.random() < punct else rng.choice(WORDS))
        if rng.random() < 0.1:
            words[-1] = words[-1].capitalize()
    return words


def join(rng, words):
    # Glue punctuation to the previous word half of the time so the tokenizer has work to do.
    s = ""
    for w in words:
        if s and not (w in PUNCT and rng.random() < 0.5):
            s += " "
        s += w
    return s


def corpora():
    rng = random.Random(1234)
    refs = [random_text(rng, 3, 18) for _ in range(40)]
    yield "random", [join(rng, perturb(rng, r)) for r in refs], [[join(rng, r) for r in refs]]

    refs = [random_text(rng, 1, 5, 0.0) for _ in range(30)]
    yield "short-segments", [join(rng, perturb(rng, r)) for r in refs], [[join(rng, r) for r in refs]]

    yield "tricky-13a", list(reversed(TRICKY)), [TRICKY]
    yield "tricky-13a-self", TRICKY, [[t + " extra" for t in TRICKY]]

    hyps = ["the cat sat", "", "a dog", "", "on the mat today"]
    yield "empty-hypotheses", hyps, [["the cat sat on the mat", "the dog ran", "a dog", "big house", "on the mat"]]
    yield "all-empty-hypotheses", ["", "", ""], [["one two", "three", "four five six"]]
    yield "empty-reference", ["some words here", "x"], [["", "x y"]]

    # Matching unigrams and bigrams but no trigram or 4-gram: the 'exp' smoothing path.
    yield "zero-high-orders", ["a b x c d y e f", "g h z i j"], [["a b c d e f", "g h i j"]]
    yield "zero-bigrams", ["a x b y c", "d z e"], [["a b c", "d e"]]
    yield "no-match", ["p q r s", "t u v"], [["a b c d", "e f g"]]
    yield "three-tokens-only", ["a b c", "a b d", "x b c"], [["a b c", "a b c", "a b c"]]
    yield "longer-hypothesis", ["the the the the the the the", "cat cat cat cat"], [["the cat is on the mat", "cat"]]

    rng = random.Random(99)
    refs = [random_text(rng, 4, 14) for _ in range(25)]
    hyps = [join(rng, perturb(rng, r)) for r in refs]
    streams = [[join(rng, r) for r in refs],
               [join(rng, perturb(rng, r)) for r in refs],
               [join(rng, perturb(rng, perturb(rng, r))) for r in refs]]
    yield "three-references", hyps, streams
    streams2 = [list(s) for s in streams]
    for i in range(0, 25, 3):
        streams2[1][i] = None
    for i in range(1, 25, 4):
        streams2[2][i] = None
    yield "variable-references", hyps, streams2
    yield "length-tie", ["a b c d e"], [["a b c d"], ["a b c d e f"]]

    phones = "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH".split()
    rng = random.Random(7)
    refs = [[rng.choice(phones) for _ in range(rng.randint(1, 10))] for _ in range(60)]
    hyps = [perturb(rng, r) if rng.random() < 0.5 else r for r in refs]
    yield "phonemes", [" ".join(h) for h in hyps], [[" ".join(r) for r in refs]]
    yield "mixed-case", ["The Cat SAT on the Mat.", "\u00c9COLE caf\u00c9 Stra\u00dfe"], [["the cat sat on the mat .", "\u00e9cole Caf\u00e9 strasse"]]


BLEU_OPTIONS = [
    dict(),  # sacreBLEU's defaults
    dict(tokenize="none"),
    dict(lowercase=True),
    dict(smooth_method="none"),
    dict(smooth_method="floor"),
    dict(smooth_method="floor", smooth_value=0.25),
    dict(smooth_method="add-k"),
    dict(smooth_method="add-k", smooth_value=0.5, tokenize="none"),
    dict(max_ngram_order=2),
    dict(effective_order=True),
]

CHRF_OPTIONS = [
    dict(),  # sacreBLEU's defaults: char order 6, word order 0, beta 2
    dict(word_order=2),  # chrF++
    dict(whitespace=True),
    dict(lowercase=True, beta=1),
    dict(eps_smoothing=True),
    dict(char_order=3, word_order=1, eps_smoothing=True),
]


def q(s):
    return "null" if s is None else json.dumps(s, ensure_ascii=True)


def opts(d):
    return " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(d.items()))


def floats(xs):
    return ",".join(repr(float(x)) for x in xs)


def main():
    lines = [f"# sacreBLEU {sacrebleu.__version__} outputs written by eval/src/test/python/bleu_fixtures.py; do not edit"]
    tok = Tokenizer13a()
    for t in TRICKY:
        lines.append(f"tok13a\t{q(t)}\t{q(tok(t.rstrip()))}")
    for name, hyps, streams in corpora():
        lines.append(f"corpus\t{name}\t{len(hyps)}\t{len(streams)}")
        lines += [f"hyp\t{q(h)}" for h in hyps]
        for s, stream in enumerate(streams):
            assert len(stream) == len(hyps), name
            lines += [f"ref\t{s}\t{q(r)}" for r in stream]
        for o in BLEU_OPTIONS:
            b = BLEU(**o).corpus_score(hyps, streams)
            lines.append("\t".join(["bleu", opts(o), f"score={b.score!r}",
                                    "counts=" + ",".join(str(int(c)) for c in b.counts) if o.get("smooth_method") != "add-k" else "counts=-",
                                    "totals=" + ",".join(str(int(c)) for c in b.totals) if o.get("smooth_method") != "add-k" else "totals=-",
                                    f"precisions={floats(b.precisions)}", f"bp={float(b.bp)!r}",
                                    f"sys_len={b.sys_len}", f"ref_len={b.ref_len}"]))
        for o in CHRF_OPTIONS:
            c = CHRF(**o).corpus_score(hyps, streams)
            lines.append("\t".join(["chrf", opts(o), f"score={c.score!r}"]))
    # The convenience functions use the same defaults as the classes above.
    h, s = next(corpora())[1:]
    assert sacrebleu.corpus_bleu(h, s).score == BLEU().corpus_score(h, s).score
    assert sacrebleu.corpus_chrf(h, s).score == CHRF().corpus_score(h, s).score
    with open(OUT, "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} lines to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
