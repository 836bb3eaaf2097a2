"""The detection policy: every threshold, the gates that compare evidence with them, and the one place evidence becomes findings (assess)."""
