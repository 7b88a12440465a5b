"""Utilities that mirror ``torch.utils``: ``autograd_engine.utils.data``."""
