"""Backtest: walk-forward replay, today's predict_linear rule beside it, incidents and scores."""
