"""Fakes for the hardware and model boundaries, for fast, exact pipeline tests."""
