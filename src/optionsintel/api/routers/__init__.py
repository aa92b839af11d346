"""One router per capability; later issues add theirs (patterns, scans, backtests, ...)."""
