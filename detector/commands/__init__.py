"""One module per subcommand: argv -> checked, typed options -> the service or the backtest. Nothing but detector.cli imports this package."""
