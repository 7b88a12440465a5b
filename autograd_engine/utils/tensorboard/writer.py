"""``SummaryWriter`` (``torch.utils.tensorboard.SummaryWriter``): scalars, histograms, images,
text and hyperparameters as TensorBoard event files, written by TensorBoard's own writer."""

from __future__ import annotations

import io
import math
import os
import socket
import time
from datetime import datetime

import numpy as np
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.summary.writer.event_file_writer import EventFileWriter

__all__ = ["SummaryWriter"]


def _numpy(value) -> np.ndarray:
    """A NumPy array of a Tensor (detached, on the host), an array or a number."""
    import autograd_engine as ag

    if isinstance(value, ag.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def _default_bins() -> list[float]:
    # NOTE: TensorFlow's (and torch's) default histogram buckets: +-1e-12 growing by 10%.
    v, buckets = 1e-12, []
    while v < 1e20:
        buckets.append(v)
        v *= 1.1
    return [-b for b in reversed(buckets)] + [0] + buckets


class _FileWriter:
    """One event file in one folder (torch's ``FileWriter``)."""

    def __init__(self, log_dir: str, max_queue: int, flush_secs: float, filename_suffix: str):
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def add_event(self, event: Event, step=None, walltime=None) -> None:
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary: Summary, step=None, walltime=None) -> None:
        self.add_event(Event(summary=summary), step, walltime)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()


class SummaryWriter:
    """Write entries to TensorBoard event files in ``log_dir``
    (``torch.utils.tensorboard.SummaryWriter``).

    Args:
        log_dir: the folder of the event files; default ``runs/CURRENT_DATETIME_HOSTNAME``
            (``runs/May04_22-14-54_s-MacBook-Pro.local``), plus ``comment``.
        comment: a suffix of the default ``log_dir`` (ignored when ``log_dir`` is given).
        purge_step: a step from which events of a crashed run are hidden (as torch).
        max_queue: events held before a write is forced.
        flush_secs: how often pending events are written, in seconds.
        filename_suffix: a suffix of the event file names.

    Example::

        >>> with SummaryWriter("runs/mnist") as writer:
        ...     for epoch in range(3):
        ...         writer.add_scalar("Loss/train", 1.0 / (epoch + 1), epoch)

    Then ``tensorboard --logdir runs``.
    """

    def __init__(
        self,
        log_dir: str | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = 10,
        flush_secs: int = 120,
        filename_suffix: str = "",
    ):
        if not log_dir:
            current_time = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", current_time + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step, self.max_queue, self.flush_secs = purge_step, max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer: _FileWriter | None = None
        self.all_writers: dict[str, _FileWriter] | None = None
        self.default_bins = _default_bins()
        self._get_file_writer()

    def _get_file_writer(self) -> _FileWriter:
        """The writer of ``log_dir`` (made again after ``close``)."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = _FileWriter(
                self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix
            )
            self.all_writers = {str(self.log_dir): self.file_writer}
            if self.purge_step is not None:
                step = self.purge_step
                self.file_writer.add_event(Event(step=step, file_version="brain.Event:2"))
                start = SessionLog(status=SessionLog.START)
                self.file_writer.add_event(Event(step=step, session_log=start))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        """The folder the event files are written to."""
        return self.log_dir

    def add_scalar(
        self,
        tag: str,
        scalar_value,
        global_step: int | None = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
    ) -> None:
        """Log one number (a Python number, a one-element Tensor or array) under ``tag``.

        Example::

            >>> writer.add_scalar("Loss/train", loss.item(), step)
        """
        summary = _scalar(tag, scalar_value, new_style, double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log several numbers in one chart: each goes to its own run folder
        ``log_dir/MAINTAG_TAG`` (as torch does).

        Example::

            >>> writer.add_scalars("Loss", {"train": 0.3, "val": 0.4}, epoch)
        """
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().event_writer.get_logdir()
        for tag, value in tag_scalar_dict.items():
            folder = root + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(folder)
            if writer is None:
                writer = _FileWriter(folder, self.max_queue, self.flush_secs, self.filename_suffix)
                self.all_writers[folder] = writer
            writer.add_summary(_scalar(main_tag, value), global_step, walltime)

    def add_histogram(
        self,
        tag: str,
        values,
        global_step: int | None = None,
        bins="tensorflow",
        walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log the distribution of ``values`` (any shape). ``bins`` is ``"tensorflow"`` (the
        default buckets), or anything ``numpy.histogram`` takes (``"auto"``, ``"fd"``, a count).

        Example::

            >>> writer.add_histogram("fc.weight", model.fc.weight, epoch)
        """
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        histogram = _histogram(_numpy(values).astype(float), bins, max_bins)
        summary = Summary(value=[Summary.Value(tag=tag, histo=histogram)])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_image(
        self,
        tag: str,
        img_tensor,
        global_step: int | None = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Log an image: a float array in [0, 1] or uint8 in [0, 255], laid out as
        ``dataformats`` (``"CHW"``, ``"HWC"``, ``"HW"``, or ``"NCHW"`` for a grid) with 1, 3
        or 4 channels. Stored as PNG (needs Pillow, which Matplotlib brings).

        Example::

            >>> writer.add_image("first digit", images[0], 0)   # (1, 28, 28)
        """
        image = _image(_numpy(img_tensor), dataformats)
        summary = Summary(value=[Summary.Value(tag=tag, image=image)])
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_text(
        self,
        tag: str,
        text_string: str,
        global_step: int | None = None,
        walltime: float | None = None,
    ) -> None:
        """Log text (Markdown), shown in TensorBoard's Text tab under ``tag``."""
        from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

        plugin_data = SummaryMetadata.PluginData(
            plugin_name="text", content=TextPluginData(version=0).SerializeToString()
        )
        tensor = TensorProto(
            dtype="DT_STRING",
            string_val=[text_string.encode("utf_8")],
            tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
        )
        value = Summary.Value(
            tag=tag + "/text_summary", metadata=SummaryMetadata(plugin_data=plugin_data),
            tensor=tensor,
        )  # fmt: skip
        self._get_file_writer().add_summary(Summary(value=[value]), global_step, walltime)

    def add_hparams(
        self,
        hparam_dict: dict,
        metric_dict: dict,
        hparam_domain_discrete: dict | None = None,
        run_name: str | None = None,
        global_step: int | None = None,
    ) -> None:
        """Log a run's hyperparameters and final metrics for TensorBoard's HParams tab. As in
        torch they go to a sub-run ``log_dir/RUN_NAME`` (default: the current time), and
        each metric is also logged there as a scalar.

        Example::

            >>> writer.add_hparams({"lr": 0.1, "batch": 64}, {"hparam/accuracy": 0.97})
        """
        from autograd_engine.utils.tensorboard._hparams import hparams

        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        summaries = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        if not run_name:
            run_name = str(time.time())
        logdir = os.path.join(self._get_file_writer().event_writer.get_logdir(), run_name)
        with SummaryWriter(log_dir=logdir) as w_hp:
            for summary in summaries:
                w_hp.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                w_hp.add_scalar(k, v, global_step)

    def flush(self) -> None:
        """Write every pending event to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close the event files (a later ``add_*`` opens new ones)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _scalar(tag: str, value, new_style=False, double_precision=False) -> Summary:
    array = _numpy(value).squeeze()
    if array.ndim != 0:
        raise ValueError(
            f"add_scalar({tag!r}): expected one number, got an array of shape "
            f"{_numpy(value).shape}; log one element (x.item()) or use add_histogram"
        )
    number = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=tag, simple_value=number)])
    if double_precision:
        tensor = TensorProto(double_val=[number], dtype="DT_DOUBLE")
    else:
        tensor = TensorProto(float_val=[number], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=metadata)])


def _histogram(values: np.ndarray, bins, max_bins: int | None) -> HistogramProto:
    """torch's ``make_histogram``: numpy's counts, trimmed to the occupied buckets."""
    if values.size == 0:
        raise ValueError("add_histogram: the input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // max_bins
        remainder = len(counts) % step
        if remainder:
            counts = np.pad(counts, [[0, step - remainder]])
        counts = counts.reshape(-1, step).sum(axis=-1)
        limits = np.concatenate([limits[:-1:step], limits[-1:]])
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


def _image(array: np.ndarray, dataformats: str) -> Summary.Image:
    from PIL import Image

    hwc = _to_hwc(array, dataformats)
    scale = 1 if hwc.dtype == np.uint8 else 255
    hwc = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    height, width, channels = hwc.shape
    buffer = io.BytesIO()
    Image.fromarray(hwc).save(buffer, format="PNG")
    return Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=buffer.getvalue()
    )


def _to_hwc(array: np.ndarray, dataformats: str) -> np.ndarray:
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or len(fmt) != array.ndim or set(fmt) - set("NCHW"):
        raise ValueError(
            f"add_image: dataformats {dataformats!r} does not describe an array of shape "
            f"{array.shape}; use 'CHW', 'HWC', 'HW' or 'NCHW' with one letter per dimension"
        )
    if len(fmt) == 4:
        nchw = array.transpose([fmt.find(c) for c in "NCHW"])
        if nchw.shape[1] == 1:
            nchw = np.concatenate([nchw] * 3, 1)
        n, _, h, w = nchw.shape
        cols = min(n, 8)
        rows = math.ceil(n / cols)
        grid = np.zeros((3, h * rows, w * cols), dtype=nchw.dtype)
        for i in range(n):
            y, x = divmod(i, cols)
            grid[:, y * h : (y + 1) * h, x * w : (x + 1) * w] = nchw[i, :3]
        return grid.transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = array.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    if len(fmt) == 2:
        return np.stack([array.transpose([fmt.find(c) for c in "HW"])] * 3, 2)
    raise ValueError(f"add_image: dataformats {dataformats!r} must have 2 to 4 letters")
