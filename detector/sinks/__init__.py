"""Where findings go: the terminal table and JSON (render), files, the HTML risk report, Alertmanager with its state file, the Pushgateway."""
