"""Market-data providers: NSE, Angel One SmartAPI, replay of recorded real data, synthetic."""
