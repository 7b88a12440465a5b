"""``autograd_engine.utils.model_zoo`` (``torch.utils.model_zoo``): ``load_url``, which
downloads, and so raises here (see ``autograd_engine.hub``)."""

from __future__ import annotations

from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
