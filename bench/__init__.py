"""The benchmark (`make bench`): a city's worth of data, the real server under load, a baseline."""
