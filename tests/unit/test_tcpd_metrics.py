"""TCPD metrics (F1 with margin, covering) and the benchmark harness, with stand-in segmenters."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.tcpd import DEFAULT_DATA, main
from benchmarks.tcpd_metrics import clean_predictions, covering, f_measure

SEED = 20240611


# --- stand-in segmenters (the harness only needs fit(y) -> self and breakpoints_) -----------------


class FindsNothing:
    def fit(self, y: np.ndarray) -> FindsNothing:
        self.breakpoints_ = np.array([], dtype=int)
        return self


class BigJumps:
    """A new segment after every first difference larger than 1 (standardised units)."""

    seen: list[np.ndarray] = []

    def fit(self, y: np.ndarray) -> BigJumps:
        BigJumps.seen.append(y.copy())
        self.breakpoints_ = np.flatnonzero(np.abs(np.diff(y)) > 1.0) + 1
        return self


class Fixed:
    def __init__(self, points: list[int]) -> None:
        self.points = points

    def fit(self, y: np.ndarray) -> Fixed:
        self.breakpoints_ = np.array(self.points)
        return self


# --- helpers ---------------------------------------------------------------------------------------


def write_tcpd(root: Path, series: dict[str, tuple[list[list[float | None]], dict]], published: dict | None = None) -> Path:
    (root / "datasets").mkdir(parents=True)
    for name, (columns, _) in series.items():
        n = len(columns[0])
        doc = {
            "name": name,
            "n_obs": n,
            "n_dim": len(columns),
            "time": {"index": list(range(n))},
            "series": [{"label": f"V{k}", "type": "float", "raw": col} for k, col in enumerate(columns)],
        }
        (root / "datasets" / f"{name}.json").write_text(json.dumps(doc))
    (root / "annotations.json").write_text(json.dumps({name: ann for name, (_, ann) in series.items()}))
    for metric, table in (published or {}).items():
        (root / f"published_default_{metric}.json").write_text(json.dumps(table))
    return root


def run_main(args: list[str], segmenter) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(args, segmenter_factory=segmenter, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def noisy_steps(rng: np.random.Generator, n: int, steps: dict[int, float]) -> np.ndarray:
    y = rng.normal(0.0, 0.05, n)
    for at, size in steps.items():
        y[at:] += size
    return y


needs_tcpd = pytest.mark.skipif(not (DEFAULT_DATA / "annotations.json").is_file(), reason="TCPD folder not present")


# --- metrics -----------------------------------------------------------------------------------------


@needs_tcpd
def test_predicting_nothing_reproduces_the_published_zero_scores_on_every_series() -> None:
    annotations = json.loads((DEFAULT_DATA / "annotations.json").read_text())
    f1 = json.loads((DEFAULT_DATA / "published_default_f1.json").read_text())
    cover = json.loads((DEFAULT_DATA / "published_default_cover.json").read_text())
    names = sorted(p.stem for p in (DEFAULT_DATA / "datasets").glob("*.json"))
    assert len(names) >= 10
    for name in names:
        n_obs = json.loads((DEFAULT_DATA / "datasets" / f"{name}.json").read_text())["n_obs"]
        assert f_measure(annotations[name], []).f1 == pytest.approx(f1[name]["zero"], abs=1e-9), name
        assert covering(annotations[name], [], n_obs) == pytest.approx(cover[name]["zero"], abs=1e-9), name


def test_a_hand_checked_two_annotator_case_scores_as_worked_out_on_paper() -> None:
    # union {0, 10, 20} vs {0, 11, 30}: 0-0 and 10-11 match, 20 has nothing left within 5 -> P = 2/3;
    # recall (2/3 + 2/2) / 2 = 5/6; F1 = 2 (2/3)(5/6) / (2/3 + 5/6) = 20/27.
    annotations = {"a": [10, 20], "b": [10]}
    score = f_measure(annotations, [11, 30])
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(5 / 6)
    assert score.f1 == pytest.approx(20 / 27)
    # predicted segments [0,11) [11,30) [30,40); a: [0,10)->10/11, [10,20)->9/20, [20,40)->1/2;
    # b: [0,10)->10/11, [10,40)->19/30.
    expected_a = (10 * 10 / 11 + 10 * 9 / 20 + 20 * 0.5) / 40
    expected_b = (10 * 10 / 11 + 30 * 19 / 30) / 40
    assert covering(annotations, [11, 30], 40) == pytest.approx((expected_a + expected_b) / 2)


def test_one_prediction_can_match_only_one_annotated_point() -> None:
    score = f_measure({"a": [10, 12]}, [11])
    assert (score.precision, score.recall) == (pytest.approx(1.0), pytest.approx(2 / 3))
    assert score.f1 == pytest.approx(0.8)


def test_the_margin_includes_a_distance_of_exactly_five_samples() -> None:
    assert f_measure({"a": [20]}, [25]).f1 == pytest.approx(1.0)
    assert f_measure({"a": [20]}, [26]).f1 == pytest.approx(0.5)


def test_annotated_points_are_visited_in_python_set_order_like_the_reference_scorer() -> None:
    # set([2, 9]) | {0} iterates 0, 9, 2: 9 takes 6 (closer than 13), then 2 finds 6 used and 13 too
    # far, so 2 of 3 points match; visiting in ascending order would match all three.
    score = f_measure({"a": [2, 9]}, [6, 13])
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)


def test_cleaning_keeps_unique_indices_strictly_inside_the_series() -> None:
    assert clean_predictions([0, 7, 7, 3, 9, 10, -1], 10) == [3, 7]


def test_a_prediction_equal_to_the_annotation_covers_perfectly_even_when_it_lists_zero() -> None:
    assert covering({"a": [0, 5], "b": [5]}, [5], 10) == pytest.approx(1.0)
    assert f_measure({"a": [0, 5], "b": [5]}, [5]).f1 == pytest.approx(1.0)


def test_a_single_segment_prediction_covers_by_squared_segment_shares() -> None:
    # annotator segments of 3 and 7 samples, one predicted segment of 10: (3*3/10 + 7*7/10) / 10
    assert covering({"a": [3]}, [], 10) == pytest.approx(0.58)


# --- harness -----------------------------------------------------------------------------------------


@needs_tcpd
def test_a_segmenter_that_finds_nothing_reproduces_the_zero_row(tmp_path: Path) -> None:
    status, out, _ = run_main(["--json", str(tmp_path / "o.json")], FindsNothing)
    assert status == 0
    result = json.loads((tmp_path / "o.json").read_text())
    zero_f1 = json.loads((DEFAULT_DATA / "published_default_f1.json").read_text())
    zero_cover = json.loads((DEFAULT_DATA / "published_default_cover.json").read_text())
    names = sorted(result["series"])
    assert all(result["series"][n]["cps"] == [] for n in names)
    assert result["mean_f1"] == pytest.approx(np.mean([zero_f1[n]["zero"] for n in names]), abs=1e-9)
    assert result["mean_cover"] == pytest.approx(np.mean([zero_cover[n]["zero"] for n in names]), abs=1e-9)
    ours = next(line for line in out.splitlines() if line.startswith("* slowburn"))
    zero = next(line for line in out.splitlines() if line.split()[:1] == ["zero"])
    assert ours.split()[2:] == zero.split()[1:]


def test_missing_values_are_interpolated_and_change_points_keep_their_original_indices(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    y = noisy_steps(rng, 60, {30: 5.0}).tolist()
    for i in (10, 11, 12, 31, 45):
        y[i] = None
    write_tcpd(tmp_path, {"s": ([y], {"1": [30], "2": [30]})})
    BigJumps.seen = []
    status, _, _ = run_main(["--data", str(tmp_path), "--json", str(tmp_path / "o.json")], BigJumps)
    assert status == 0
    seen = BigJumps.seen[0]
    assert len(seen) == 60 and np.all(np.isfinite(seen))
    assert seen[11] == pytest.approx((seen[9] + seen[13]) / 2)
    assert np.std(seen) == pytest.approx(1.0)
    result = json.loads((tmp_path / "o.json").read_text())["series"]["s"]
    assert result["cps"] == [30]
    assert result["f1"] == pytest.approx(1.0)


def test_dimensions_are_segmented_separately_and_near_points_merged(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    first = noisy_steps(rng, 80, {20: 4.0})
    second = noisy_steps(rng, 80, {22: 3.0, 50: -3.0})
    write_tcpd(tmp_path, {"two": ([first.tolist(), second.tolist()], {"1": [20, 50]})})
    status, _, _ = run_main(["--data", str(tmp_path), "--json", str(tmp_path / "o.json")], BigJumps)
    assert status == 0
    assert json.loads((tmp_path / "o.json").read_text())["series"]["two"]["cps"] == [20, 50]


def test_breakpoints_at_the_series_ends_are_cleaned_away(tmp_path: Path) -> None:
    write_tcpd(tmp_path, {"s": ([list(range(30))], {"1": [10]})})
    status, _, _ = run_main(["--data", str(tmp_path), "--json", str(tmp_path / "o.json")], lambda: Fixed([1, 10, 29]))
    assert status == 0
    assert json.loads((tmp_path / "o.json").read_text())["series"]["s"]["cps"] == [1, 10]


def test_a_dimension_without_any_value_is_skipped_with_a_note(tmp_path: Path) -> None:
    write_tcpd(tmp_path, {"s": ([[1.0] * 20, [None] * 20], {"1": []})})
    status, _, err = run_main(["--data", str(tmp_path)], BigJumps)
    assert status == 0
    assert "s: dimension 1 has no observed value" in err


def test_published_means_are_taken_over_the_series_that_were_run(tmp_path: Path) -> None:
    published = {
        "f1": {"a": {"m": 0.2, "k": 0.9}, "b": {"m": 0.4}, "c": {"m": 1.0, "k": 1.0}},
        "cover": {"a": {"m": 0.6, "k": 0.1}, "b": {"m": 0.8}, "c": {"m": 0.0, "k": 0.0}},
    }
    write_tcpd(tmp_path, {"a": ([[0.0] * 20], {"1": []}), "b": ([[0.0] * 20], {"1": []})}, published)
    status, out, _ = run_main(["--data", str(tmp_path)], FindsNothing)
    assert status == 0
    rows = {line[2:].split()[0]: line[2:].split()[1:] for line in out.splitlines()[2:] if line[:1] in " *"}
    assert rows["m"] == ["0.300", "0.700"]
    assert rows["k"] == ["0.900", "(1/2)", "0.100", "(1/2)"]
    names = [line[2:].split()[0] for line in out.splitlines()[2:5]]
    assert names == ["slowburn", "k", "m"]  # no change points on a flat series: F1 = cover = 1


def test_without_published_scores_the_table_shows_ours_and_says_why(tmp_path: Path) -> None:
    write_tcpd(tmp_path, {"s": ([[0.0] * 20], {"1": []})})
    status, out, err = run_main(["--data", str(tmp_path)], FindsNothing)
    assert status == 0
    assert "* slowburn" in out and "no published_default_*.json" in err


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda root: None, "data directory not found"),
        (lambda root: write_tcpd(root, {"s": ([[0.0] * 5], {"1": [7]})}), "expected a list of indices in [0, 5)"),
        (lambda root: write_tcpd(root, {"s": ([[0.0] * 5], {})}), "annotations.json: s: expected at least one annotator"),
        (
            lambda root: (
                write_tcpd(root, {"s": ([[0.0] * 5], {"1": []})}),
                (root / "datasets" / "s.json").write_text('{"n_obs": 5,\n "series": ['),
            ),
            "s.json:2: invalid JSON",
        ),
        (
            lambda root: (
                write_tcpd(root, {"s": ([[0.0] * 5], {"1": []})}),
                (root / "datasets" / "s.json").write_text('{"n_obs": 5, "series": [{"raw": [1, 2, "x", 4, 5]}]}'),
            ),
            "series[0].raw[2]: expected a number or null",
        ),
    ],
)
def test_unusable_input_is_one_line_on_stderr_and_exit_status_2(tmp_path: Path, make, expected: str) -> None:
    root = tmp_path / "tcpd"
    make(root)
    status, out, err = run_main(["--data", str(root)], FindsNothing)
    assert status == 2
    assert out == "" and err.count("\n") == 1 and expected in err


def test_an_explicit_methods_dir_without_published_scores_is_an_error(tmp_path: Path) -> None:
    write_tcpd(tmp_path / "tcpd", {"s": ([[0.0] * 20], {"1": []})})
    status, _, err = run_main(["--data", str(tmp_path / "tcpd"), "--methods-dir", str(tmp_path / "nope")], FindsNothing)
    assert status == 2 and "published_default_f1.json" in err
