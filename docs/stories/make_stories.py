"""Run every story of the scenario library and put its table and plots in the README.

    python docs/stories/make_stories.py          # all stories (a few minutes)
    python docs/stories/make_stories.py crisis   # one

Each story is ``virality compare scenarios/<name>.toml --report`` with the
file's own defaults. Its comparison table, plots and one-page report go to
``docs/stories/<name>/``; the per-variant time series stay out of the
repository (rerun the command to get them). The README's "Stories" section,
between its ``stories:start`` / ``stories:end`` markers, is rewritten from
the tables, so every figure there comes from this script.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from simulator.compare.outcomes import format_interval  # noqa: E402

HERE = Path(__file__).resolve().parent

#: Story name -> (title, the question the documents ask, what the model says).
#: The readings are qualitative on purpose: they must hold for the tables the
#: script writes; rerun it and reread them when the dynamics change.
STORIES = {
    "adoption_strategies": (
        "Adoption: from day one, late, or never",
        "Does it pay to be on social media from the start?",
        "The brand that is there from day one ends with positive net sentiment where the "
        "late and the absent brand end negative, with about twice their customers and "
        "profit: it answered the complaints of the outage at step 30. The late brand "
        "arrives after the outage and ends like the one that ignored the platform: late, "
        "sometimes too late. Its reach is *lower*: an answered complaint stops spreading, "
        "and negative word also makes a brand known (to people it does not win). The "
        "answering capacity is a share of the population (`crisis.capacity_share`), so the "
        "story holds at 25,000, 50,000 and 100,000 agents and at seeds 1 and 2: net "
        "sentiment +0.055 to +0.071 from day one, -0.15 to -0.18 late or absent. The lower "
        "reach is the weakest part: lower in every one of those nine runs (by 0.03 to "
        "0.11), but clear of zero in the paired interval in only three of them "
        "(`experiments/results/story_sizes.md`). Tipping point: from day one stops paying "
        "against ignoring the platform when one post costs about 1,800 to 1,900 (the file: "
        "100), at seeds 2026, 1 and 2 (`experiments/tipping_points.py`). The point grows with "
        "the population, as the value of the customers does and the price of a post does not: "
        "about 720 to 880 at 25,000 agents, 2,980 to above 3,200 at 100,000.",
    ),
    "crisis": (
        "A crisis: answer, take the page down, or stay silent",
        "What should a brand do when an outage sets customers complaining?",
        "Answering keeps net sentiment near zero where silence leaves it clearly negative, "
        "and earns the most profit despite costing the most. Taking the page down "
        "backfires: the followers lose the channel, complaints spread further (more "
        "negative word than silence), and net sentiment ends worst. The order, answer < "
        "silence < take-down in negative word, is the one the crisis literature reports "
        "(docs/references.md, section 6.4). With the answering capacity a share of the "
        "population (0.6% a day), all of it holds at 25,000, 50,000 and 100,000 agents and "
        "at seeds 1 and 2: answering ends at +0.000 to +0.023 net sentiment, 0.083 to 0.095 "
        "above silence, and first on profit in every pair "
        "(`experiments/results/story_sizes.md`). Tipping point: answering stops paying "
        "against silence when an answer wins back fewer than about 0.19 to 0.21 of the "
        "complainers (the file: 0.5), at seeds 2026, 1 and 2 (`experiments/tipping_points.py`), "
        "and 0.18 to 0.25 at 25,000 and 100,000 agents too: with a capacity in proportion to "
        "the population, the point does not move with its size.",
    ),
    "half_hearted": (
        "A half-hearted presence",
        "Is a page opened and then abandoned better than a kept one?",
        "The abandoned page keeps fewer followers (silence drives them away), and when the "
        "outage comes at step 90 nobody answers: net sentiment ends far lower (by 0.18 to "
        "0.19) and profit about a fifth lower than the kept page's, at 25,000, 50,000 and "
        "100,000 agents and at seeds 1 and 2 alike. Reach is again higher for the brand "
        "that does not answer, through its complaints. Tipping point: keeping the page "
        "stops paying when one post costs about 810 to 855 (the file: 100), at seeds 2026, 1 "
        "and 2 (`experiments/tipping_points.py`); in proportion to the population, 410 to 460 "
        "at 25,000 agents and 1,670 to 1,810 at 100,000.",
    ),
    "likes_vs_followers": (
        "Chasing likes or building followers",
        "Which audience lasts over a year, for the same campaign budget?",
        "The follower-building brand wins on every outcome, but honestly mostly through its "
        "campaign: a placed impression is always seen, while bought likes buy amplified "
        "impressions at about four times the price each. The audience it keeps is small "
        "(brand content rarely reaches people who do not follow yet), so the long-term "
        "accumulation the documents describe is weak at these settings. The like-chasing "
        "brand loses all its followers to over-posting and promotion within weeks. The "
        "order holds at 10,000, 20,000 and 40,000 agents and at seeds 1 and 2; the gap in "
        "reach grows with the population (+0.05 to +0.31), as the budget is a fixed sum. "
        "Tipping point: the follower campaign stops paying against the like-buying one when "
        "a sponsored impression costs about 5.6 (560 per thousand; the file: 0.01), at seeds "
        "2026, 1 and 2 (`experiments/tipping_points.py`); 2.9 at 10,000 agents and 9.0 to 9.2 "
        "at 40,000. The audience study (`experiments/audience/FINDINGS.md`) asks what it would "
        "take for the follower base to keep growing after the campaign.",
    ),
    "paid_boost": (
        "Paid promotion, three ways",
        "Sponsored posts, influencers or bought likes, for the same budget?",
        "Sponsored impressions are the best use of the budget here. Bought likes come "
        "second: they persuade no one, but the platform amplifies liked posts, so fake "
        "likes buy real impressions. Six influencers add nothing measurable: the feed hides "
        "most of their word, and six more talkers on a graph of 50,000 are not enough. The "
        "order (sponsored, bought likes, then influencers level with no promotion) holds at "
        "25,000, 50,000 and 100,000 agents and at seeds 1 and 2; the budget is a fixed sum, "
        "so what it buys thins out in a larger market (sponsored reach 1.00 at 25,000, "
        "0.97 at 100,000). Tipping point: bought likes overtake sponsored posts when an "
        "impression costs about 1.4 to 2.0 (the file: 0.01), at seeds 2026, 1 and 2 "
        "(`experiments/tipping_points.py`); 0.38 to 0.63 at 25,000 agents and 3.1 to 4.2 at "
        "100,000, as the fixed budget buys less of a larger market.",
    ),
    "presence": (
        "Is a presence worth having?",
        "Can a page do more harm than having none?",
        "Yes, when what it posts puts people off. Both pages cost the same and answer no "
        "one, so only their content differs. The well-run page (good posts, few "
        "promotions) beats having no page on reach, net sentiment, customers and profit, at "
        "25,000, 50,000 and 100,000 agents and at seeds 1 and 2: net sentiment +0.065 to "
        "+0.123 higher, 0.10 to 0.14 more of the population as customers, 1.8 to 3 times the "
        "profit; it also hears more complaints, from its extra customers. The pushy page (poor "
        "posts, six in ten promotions) ends no better than no page at all: net sentiment "
        "lower in seven of those nine runs (by up to 0.026; the paired interval is clear of "
        "zero in one), customers and profit level within the noise. That comes from one "
        "mechanism, posts that put their viewers off (`brand.annoyance`, the file: 0.05), "
        "whose size no source gives. Tipping point: the pushy page stops beating no page on "
        "net sentiment when a promotion seen puts more than about 0.027 to 0.038 of its "
        "viewers off, at seeds 2026, 1 and 2 (`experiments/tipping_points.py`); below that "
        "even a pushy page helps. At 25,000 and 100,000 agents the point is 0.008 to 0.19: the "
        "pushy page's margin over no page is small, so this is the least stable tipping point "
        "of the stories.",
    ),
}

#: Columns shown in the README (the full set is in each comparison.csv).
COLUMNS = ("reach", "net_sentiment", "customers", "followers", "negative_talk", "profit")
KEEP = ("comparison.csv", "differences.csv", "comparison_curves.png", "comparison_outcomes.png",
        "report.md")


def run_story(name: str) -> float:
    """Run one story's comparison into a scratch folder and keep its small outputs."""
    scratch = ROOT / "results" / "stories" / name
    cmd = [sys.executable, "-m", "simulator.cli", "compare", f"scenarios/{name}.toml",
           "--out", str(scratch), "--report", "--quiet", "--overwrite"]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    elapsed = time.perf_counter() - t0
    out = HERE / name
    out.mkdir(parents=True, exist_ok=True)
    for f in KEEP:
        shutil.copy2(scratch / f, out / f)
    return elapsed


def cell(row: pd.Series, metric: str) -> str:
    """As the comparison's own report writes it: ``mean (low to high)``."""
    return format_interval(row[metric], row[f"{metric}_low"], row[f"{metric}_high"])


def section(name: str) -> str:
    title, question, reading = STORIES[name]
    table = pd.read_csv(HERE / name / "comparison.csv")
    cols = [c for c in COLUMNS if c in table.columns]
    lines = [f"### {title}", "", f"*{question}* `scenarios/{name}.toml`:", "",
             "```bash", f"virality compare scenarios/{name}.toml --report", "```", "",
             "| variant | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for _, row in table.iterrows():
        lines.append(f"| {row['variant']} | " + " | ".join(cell(row, c) for c in cols) + " |")
    lines += ["", reading, "",
              f"![{name} curves](docs/stories/{name}/comparison_curves.png)", ""]
    return "\n".join(lines)


def update_readme() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- stories:start -->", "<!-- stories:end -->"
    body = "\n".join(section(n) for n in STORIES if (HERE / n / "comparison.csv").exists())
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    readme.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")


def main(names: list[str]) -> None:
    for name in names or list(STORIES):
        if name not in STORIES:
            raise SystemExit(f"unknown story '{name}'; allowed: {', '.join(STORIES)}")
        print(f"{name}: {run_story(name):.1f} s", flush=True)
    update_readme()


if __name__ == "__main__":
    main(sys.argv[1:])
