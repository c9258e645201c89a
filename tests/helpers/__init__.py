"""Helpers the tests share: fakes of time, sites and data builders (tests import these, never each other)."""
