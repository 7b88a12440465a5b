"""``autograd_engine.nested`` (``torch.nested``): nested (ragged) tensors do not exist here;
the names raise with the usual alternative."""

from __future__ import annotations

__all__ = ["nested_tensor", "as_nested_tensor", "to_padded_tensor"]


def _no_nested(name: str):
    def fn(*args, **kwargs):
        raise RuntimeError(
            f"nested.{name}: nested (ragged) tensors are not supported by autograd_engine. Pad "
            "the sequences to one length (autograd_engine.nn.utils.rnn.pad_sequence) and keep "
            "their lengths or a mask."
        )

    fn.__name__ = name
    fn.__doc__ = f"Raises: ``torch.nested.{name}`` makes a nested tensor (see the module doc)."
    return fn


nested_tensor = _no_nested("nested_tensor")
as_nested_tensor = _no_nested("as_nested_tensor")
to_padded_tensor = _no_nested("to_padded_tensor")
