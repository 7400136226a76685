"""Expected share of freed slots filled, by how far ahead they are freed: the default offer plan
against the baseline of one patient at a time with a fixed 15-minute hold.

    python bench/reserve_fill.py [--acceptance 0.08 0.11]

Walks the real plan (odwolaj.reserve.strategy.plan_wave) from the moment of freeing to the cut-off,
assuming nobody answers before a hold ends (the worst case: declines only make waves come sooner),
counts the offers it makes, and turns them into the chance that at least one patient accepts:
1 - (1 - p) ** offers. The list is assumed long enough (a reserve list usually is).
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from odwolaj.reserve.strategy import Strategy, plan_wave

WARSAW = ZoneInfo("Europe/Warsaw")
VISIT = datetime(2026, 12, 10, 9, 0, tzinfo=WARSAW)  # a Thursday-morning visit
SCENARIOS = [("7 days ahead", timedelta(days=7, hours=3)), ("2 days ahead", timedelta(days=2, hours=3)),
             ("the evening before (19:30)", timedelta(hours=13, minutes=30)),
             ("the day before at 12:00", timedelta(hours=21)), ("same day, 4 h ahead", timedelta(hours=4)),
             ("same day, 2 h ahead", timedelta(hours=2))]


def offers_made(strategy: Strategy, freed: datetime, *, fixed: bool) -> int:
    at, made = freed, 0
    while True:
        wave = plan_wave(strategy, VISIT, at, made)
        if wave is None:
            return made
        if fixed:  # the baseline: one at a time, 15 minutes each, within the same sending hours
            wave = type(wave)(send_at=wave.send_at, size=1, hold=timedelta(minutes=15))
            if wave.hold_until > VISIT - timedelta(minutes=strategy.min_lead_minutes):
                return made
        made += wave.size
        at = wave.hold_until


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acceptance", type=float, nargs="+", default=[0.08, 0.11])
    args = parser.parse_args()
    strategy = Strategy()
    head = "".join(f"{'fill @' + format(p, '.0%'):>12}{'base':>8}{'ratio':>7}" for p in args.acceptance)
    print(f"Visit Thu 09:00 (Warsaw); defaults: {strategy}")
    print(f"{'freed':<28}{'offers':>7}{'base':>6}{head}")
    for label, before in SCENARIOS:
        freed = VISIT - before
        ours, base = offers_made(strategy, freed, fixed=False), offers_made(strategy, freed, fixed=True)
        cells = ""
        for p in args.acceptance:
            fill, base_fill = 1 - (1 - p) ** ours, 1 - (1 - p) ** base
            ratio = fill / base_fill if base_fill else float("inf")
            cells += f"{fill:>12.0%}{base_fill:>8.0%}{ratio:>6.1f}x"
        print(f"{label:<28}{ours:>7}{base:>6}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
