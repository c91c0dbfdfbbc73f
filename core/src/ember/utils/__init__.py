"""Utilities (``ember.utils``): data loading lives in ``ember.utils.data``."""
