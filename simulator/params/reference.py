"""The key reference: every scenario key with its meaning, default, allowed values, unit
and source, generated from the parameter declarations (one source, so it cannot drift).

``virality keys [SECTION]`` prints it; ``docs/keys.md`` is :func:`markdown` (the tests
check the page is the one the code generates: ``python -m simulator.params.reference``
rewrites it).
"""

from __future__ import annotations

import dataclasses
import sys
import textwrap
from pathlib import Path
from typing import Any

from simulator.params import SECTIONS

# Units of the keys whose name does not say it (the rest follow the rules in unit_of).
_UNITS = {
    "graph.n": "agents",
    "graph.exponent": "exponent",
    "graph.communities": "communities",
    "graph.group_size": "agents per group",
    "graph.path": "file path",
    "run.replicates": "replicates",
    "run.seed": "integer",
    "seeding.n_seeds": "agents",
    "wom.threshold": "share of friends (fraction) or friends (count)",
    "wom.threshold_spread": "as wom.threshold",
    "market.satisfaction": "chance per purchase",
    "feed.attention": "items per agent per step",
    "feed.attention_sigma": "log-sd",
    "feed.background_items": "items per agent per step",
    "feed.background_score_sigma": "log-sd",
    "feed.recency_decay": "rate per age^0.4",
    "feed.amplification": "impressions per like per step",
    "feed.p_like": "chance per item seen",
    "feed.p_share": "chance per like",
    "feed.ad_fatigue": "multiplier",
    "feed.ad_tolerance": "share of items seen",
    "followers.p_follow": "chance per brand item seen",
    "followers.p_follow_from_shares": "chance per share of a brand post seen",
    "followers.p_bell": "chance per post seen",
    "followers.p_unbell": "chance per notification",
    "followers.expected_quality": "quality (0-1)",
    "followers.volume_tolerance": "posts per step",
    "brand.posts_per_step": "posts per step",
    "brand.quality": "quality (0-1)",
    "paid.sponsored_per_step": "impressions per step",
    "paid.target_community": "community id",
    "paid.influencers": "agents",
    "paid.bought_likes_per_step": "likes per step",
    "crisis.capacity": "answers per step",
    "crisis.p_win_back": "chance per answer",
    "crisis.takedown_boost": "multiplier",
    "crisis.takedown_outrage": "share of followers",
    "crisis.answer_exposure": "followers per answer",
    "crisis.compensation": "currency units per answer",
    "crisis.p_win_back_compensated": "chance per answer",
    "crisis.p_copycat": "chance per customer who sees a thread",
    "brand.annoyance": "chance per post seen",
    "brand.cost_per_step": "currency units per step",
    "wom.impact_positive": "chance per word heard",
    "wom.impact_negative": "chance per word heard",
    "wom.p_turn_negative": "chance per word heard",
    "wom.p_turn_positive": "chance per word heard",
    "wom.p_positive": "chance per friend per step",
    "wom.p_negative": "chance per friend per step",
    "graph.rewire": "chance per edge",
    "graph.p_triad": "chance per edge",
}


def unit_of(key: str, f: dataclasses.Field) -> str:
    """What a key's number counts: declared, listed above, or read off its name."""
    if f.metadata.get("unit"):
        return f.metadata["unit"]
    if key in _UNITS:
        return _UNITS[key]
    name = key.partition(".")[2]
    if f.metadata.get("choices") or f.type in (bool, "bool"):
        return ""
    if "degree" in name or name in ("median", "k_min", "cutoff", "m"):
        return "friends"
    if name.startswith("cost") or name.startswith("value"):
        return "currency units"
    if name.startswith("p_") or "hazard" in f.metadata.get("doc", ""):
        return "chance per step"
    if "share" in name or name.startswith("initial_") or name == "mixing" or name == "share":
        return "share (0-1)"
    if name.endswith("step") or name.endswith("steps") or name in ("duration", "max_age",
                                                                    "detection_delay"):
        return "steps"
    if name.endswith("sensitivity"):
        return "per unit of the cause"
    if name == "detection_threshold":
        return "share of agents"
    return ""


def _allowed(f: dataclasses.Field) -> str:
    m = f.metadata
    if m.get("choices"):
        return ", ".join(map(str, m["choices"]))
    if f.type in (bool, "bool"):
        return "true, false"
    low, high = m.get("low"), m.get("high")
    if low is None and high is None:
        return "text" if "str" in str(f.type) else "any"
    lo = "" if low is None else f"{low:g}" if isinstance(low, float) else f"{low:,}"
    hi = "" if high is None else f"{high:g}" if isinstance(high, float) else f"{high:,}"
    left = f"{lo} < " if m.get("low_open") and lo else f"{lo} <= " if lo else ""
    right = f" <= {hi}" if hi else ""
    text = f"{left}x{right}"
    return text + (", or none" if m.get("optional") else "")


def _default(f: dataclasses.Field) -> Any:
    return f.default if f.default is not dataclasses.MISSING else f.default_factory()


def rows(section: str | None = None) -> list[dict[str, str]]:
    """One dict per key: key, default, allowed, unit, meaning, source."""
    out = []
    for name, klass in SECTIONS.items():
        if section not in (None, name):
            continue
        for f in dataclasses.fields(klass):
            key = f"{name}.{f.name}"
            default = _default(f)
            out.append({
                "key": key,
                "default": "none" if default is None else
                           str(default).lower() if isinstance(default, bool) else repr(default)
                           if isinstance(default, str) else f"{default:g}"
                           if isinstance(default, float) else f"{default:,}",
                "allowed": _allowed(f),
                "unit": unit_of(key, f),
                "meaning": f.metadata.get("doc", ""),
                "source": f.metadata.get("source", ""),
            })
    return out


def text(section: str | None = None, width: int = 100) -> str:
    """The reference for a terminal: a key per block, wrapped to ``width`` columns."""
    lines = []
    current = None
    for r in rows(section):
        head = r["key"].partition(".")[0]
        if head != current:
            current = head
            if lines:
                lines.append("")
            lines.append(f"[{head}]")
            lines += textwrap.wrap(SECTIONS[head].__doc__.splitlines()[0], width=width)
        unit = f" ({r['unit']})" if r["unit"] else ""
        lines += textwrap.wrap(f"{r['key']} = {r['default']}{unit}; allowed: {r['allowed']}",
                               width=width, initial_indent="  ", subsequent_indent="      ")
        body = r["meaning"] + (f" [source: {r['source']}]" if r["source"] else "")
        lines += textwrap.wrap(body, width=width, initial_indent="      ",
                               subsequent_indent="      ")
    return "\n".join(lines) + "\n"


def markdown() -> str:
    """``docs/keys.md``."""
    out = ["# Scenario keys", "",
           "Every key of a scenario file, generated from the parameter declarations",
           "(`python -m simulator.params.reference` rewrites this page; `virality keys "
           "[SECTION]` prints it).",
           "Defaults, their published anchors and the tests that check them are discussed in",
           "[calibration.md](calibration.md). Chances per step may be written as rates and",
           "steps as durations (`\"0.03 per year\"`, `\"10 years\"`; see `run.step`).", ""]
    for name, klass in SECTIONS.items():
        out += [f"## `[{name}]`", "", klass.__doc__.strip().splitlines()[0], "",
                "| key | default | allowed | unit | meaning |", "|---|---|---|---|---|"]
        for r in rows(name):
            meaning = r["meaning"] + (f" (source: {r['source']})" if r["source"] else "")
            cells = [f"`{r['key']}`", f"`{r['default']}`", r["allowed"], r["unit"], meaning]
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        out.append("")
    return "\n".join(out)


KEYS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "keys.md"

if __name__ == "__main__":
    KEYS_PAGE.write_text(markdown(), encoding="utf-8")
    print(f"wrote {KEYS_PAGE}", file=sys.stderr)
