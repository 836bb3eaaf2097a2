"""The TCPD benchmark scores the change point model exactly as the detector runs it."""

import numpy as np

from benchmarks.tcpd import default_segmenter
from models.pipeline import SeriesAnalyzer

SEED = 5


def test_the_benchmark_segments_a_series_as_the_detectors_default_pipeline_does():
    rng = np.random.default_rng(SEED)
    for _ in range(10):
        # crosses zero, so the pipeline stays in the linear domain and the two see the same numbers;
        # the 8-sample surge is a regime only to a segmenter with a shorter minimum than the detector's
        y = np.r_[np.zeros(40), np.full(8, 9.0), np.zeros(32), 0.2 * np.arange(60), np.full(50, 12.0)] - 6 + rng.normal(0, 1.5, 190)
        domain, _, pipeline_segmenter = SeriesAnalyzer()._segment(y)
        assert domain == "linear"
        assert list(default_segmenter().fit(y).breakpoints_) == list(pipeline_segmenter.breakpoints_)
        assert len(pipeline_segmenter.breakpoints_) >= 1
