"""Compare Chinese word cutters for search: jieba (what kit/words.py uses), jieba_fast and
rjieba. Speed of search-mode cutting and whether each cuts into the same words as jieba.

Not part of the project's dependencies; in a scratch virtual environment:

    python -m venv /tmp/seg && /tmp/seg/bin/pip install jieba jieba-fast rjieba PyStemmer
    /tmp/seg/bin/python scripts/compare_segmenters.py

It prints JSON: characters cut per second (median of three runs) on 20,000 texts of the
benchmark world's Chinese and on the everyday sentences of scripts/segmenters_sample.txt, the
texts whose words match jieba's, and the load time and peak memory of each dictionary.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "src")]

LOAD = {
    "jieba": "import jieba; jieba.setLogLevel(60); jieba.initialize()",
    "jieba_fast": "import jieba_fast; jieba_fast.setLogLevel(60); jieba_fast.initialize()",
    "rjieba": "import rjieba; rjieba.cut_for_search('预热')",
}


def load_cost(name: str) -> dict[str, float]:
    """Load time and peak memory of a fresh process that loads one cutter."""
    code = (
        "import resource, time; t = time.perf_counter(); "
        f"{LOAD[name]}; "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, rss_kib = out.stdout.split()
    return {"load_s": round(float(seconds), 2), "peak_rss_mib": int(rss_kib) // 1024}


def main() -> None:
    # First, while this process is small (a child process starts with its parent's peak).
    result: dict[str, dict[str, object]] = {f"load/{name}": load_cost(name) for name in LOAD}
    import jieba
    import jieba_fast
    import rjieba
    from bench.worldtext import Words

    jieba.setLogLevel(60)
    jieba_fast.setLogLevel(60)
    rng = random.Random(7)
    words = Words(rng)
    generated = [words.text("zh", rng.choice((1, 2, 3))) for _ in range(20_000)]
    lines = (HERE / "segmenters_sample.txt").read_text(encoding="utf-8").splitlines()
    everyday = [line for line in lines if line.strip()] * 50
    cutters = {
        "jieba": jieba.cut_for_search,
        "jieba_fast": jieba_fast.cut_for_search,
        "rjieba": lambda text: rjieba.cut_for_search(text, True),
    }
    for corpus_name, corpus in (("world", generated), ("everyday", everyday)):
        chars = sum(len(t) for t in corpus)
        expected = [[w for w in jieba.cut_for_search(t) if w.strip()] for t in corpus]
        for name, cut in cutters.items():
            runs, got = [], []
            for _ in range(3):
                began = time.perf_counter()
                got = [[w for w in cut(t) if w.strip()] for t in corpus]
                runs.append(time.perf_counter() - began)
            same = sum(1 for a, b in zip(expected, got, strict=True) if a == b)
            result[f"{corpus_name}/{name}"] = {
                "chars_per_s": round(chars / statistics.median(runs)),
                "runs_s": [round(r, 3) for r in runs],
                "same_words_as_jieba": f"{same}/{len(corpus)}",
            }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
