"""A real log no one here wrote: the CDNOW purchase log shipped by the ``lifetimes`` package
(69,659 rows, 23,570 customers, January 1997 to June 1998), against the figures published with it.

Fader and Hardie's summary of the 2,357-customer CDNOW sample (``cdnow_customers_summary.csv``)
counts repeat purchase occasions (distinct purchase days) in the first 39 weeks: retention_xl's
occasions give the same totals.
"""

from __future__ import annotations

import importlib.util
import os

import pandas as pd
import pytest

import retention_xl as rx


@pytest.fixture(scope="module")
def datasets():
    spec = importlib.util.find_spec("lifetimes")  # the data files only: the package is not imported
    if spec is None or spec.origin is None:
        pytest.skip("the lifetimes package (dev extra) ships the CDNOW log")
    return os.path.join(os.path.dirname(spec.origin), "datasets")


def test_cdnow_master_log(datasets):
    log = pd.read_csv(os.path.join(datasets, "CDNOW_master.txt"), sep=r"\s+", header=0,
                      names=["customer_id", "date", "cds", "amount"], dtype={"date": str})
    metrics = rx.purchase_metrics(log, date_format="%Y%m%d")
    assert (metrics["customers"], metrics["repeat_customers"]) == (23_570, 11_516)
    assert round(metrics["repeat_customer_rate"], 3) == 0.489
    read = rx.read_log(log, amount="amount", date_format="%Y%m%d").report
    assert (read.rows, read.duplicates, read.nonpositive_amount) == (69_659, 255, 80)
    assert read.duplicates == int(log.duplicated().sum())  # every column equal, as pandas sees it
    counts = rx.counts_from_log(log, period="quarter", date_format="%Y%m%d")
    # in 1998Q2 about as many customers came back after a gap as stayed from the quarter before
    assert counts.loc["1998Q2", ["retained", "reactivated"]].tolist() == [1_760, 1_557]
    assert counts["yearly_retention"].notna().tolist() == [True, True, False, False, False, False]


def test_cdnow_sample_matches_the_published_summary(datasets):
    sample = pd.read_csv(os.path.join(datasets, "CDNOW_sample.txt"), sep=r"\s+", header=None,
                         names=["master_id", "customer_id", "date", "cds", "amount"], dtype={"date": str})
    summary = pd.read_csv(os.path.join(datasets, "cdnow_customers_summary.csv"))
    calibration = sample[sample["date"] <= "19970930"]  # the summary's 39 weeks (T = 38.86)
    metrics = rx.purchase_metrics(calibration, date_format="%Y%m%d", amount=None)
    assert metrics["customers"] == len(summary) == 2_357
    assert metrics["repeat_customers"] == int((summary["frequency"] > 0).sum())
    assert metrics["occasions"] - metrics["customers"] == int(summary["frequency"].sum())
    # counting rows instead of days would say more
    assert len(calibration) - len(summary) > summary["frequency"].sum()
