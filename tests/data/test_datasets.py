"""The bundled Digits, and MNIST / FashionMNIST / CIFAR10 read from small generated files."""

import gzip
import os
import pickle
import struct

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.datasets import CIFAR10, MNIST, Digits, FashionMNIST, read_idx
from autograd_engine.datasets import transforms as T
from autograd_engine.utils.data import DataLoader


def write_idx(path, array, compress=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + body)


def make_mnist(folder, n_train=12, n_test=5, compress=False, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        ext = ".gz" if compress else ""
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{ext}"), images, compress)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{ext}"), labels, compress)
        arrays[prefix] = (images, labels)
    return arrays


def make_cifar(root, n=4, seed=0, protocol=2):
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).tolist()
        entry = {b"batch_label": name.encode(), b"labels": labels, b"data": data}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(entry, f, protocol=protocol)
        batches[name] = (data, labels)
    return batches


def test_digits_split_shapes_and_values():
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1442, 355)
    image, label = train[0]
    assert image.shape == (1, 8, 8) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert isinstance(label, int)
    assert train.data.shape == (1442, 8, 8) and train.data.max() == 16
    # stratified: every class in both splits, in about the same proportion
    assert np.bincount(test.targets).min() >= 34
    assert np.bincount(train.targets).min() >= 139
    x, y = next(iter(DataLoader(test, batch_size=400)))
    assert x.shape == (355, 1, 8, 8) and y.dtype == ag.int64
    np.testing.assert_allclose(x.numpy()[5], test[5][0])


def test_digits_normalization_constants_describe_the_training_split():
    train = Digits()
    pixels = train.data / 16.0
    assert abs(pixels.mean() - Digits.mean[0]) < 1e-3
    assert abs(pixels.std() - Digits.std[0]) < 1e-3


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    arrays = make_mnist(tmp_path, compress=compress)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert (len(train), len(test)) == (12, 5)
    np.testing.assert_array_equal(train.data, arrays["train"][0])
    np.testing.assert_array_equal(test.targets, arrays["t10k"][1])
    image, label = test[2]
    assert image.shape == (1, 28, 28)
    np.testing.assert_allclose(image[0], arrays["t10k"][0][2] / 255.0, rtol=1e-6)
    assert label == arrays["t10k"][1][2]


def test_fashion_mnist_uses_torchvision_layout(tmp_path):
    make_mnist(tmp_path / "FashionMNIST" / "raw", compress=True)
    ds = FashionMNIST(tmp_path, train=False)
    assert len(ds) == 5 and ds.classes[9] == "Ankle boot"


def test_mnist_missing_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'train-images-idx3-ubyte' not found in .*ossci"):
        MNIST(tmp_path)


def test_mnist_truncated_file_message(tmp_path):
    make_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(
        RuntimeError, match=r"train-images-idx3-ubyte' is truncated.*\(12, 28, 28\)"
    ):
        MNIST(tmp_path)


def test_mnist_truncated_gzip_message(tmp_path):
    make_mnist(tmp_path, compress=True)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(RuntimeError, match=r"t10k-labels-idx1-ubyte.gz'.*corrupt"):
        MNIST(tmp_path, train=False)


def test_idx_bad_magic_message(tmp_path):
    path = tmp_path / "x-idx"
    path.write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(RuntimeError, match="is not an IDX file"):
        read_idx(str(path))


def test_idx_other_dtypes_round_trip(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4) / 3
    write_idx(tmp_path / "f.idx", array)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "f.idx")), array)


def test_mnist_download_is_refused_with_a_pointer(tmp_path):
    with pytest.raises(RuntimeError, match="downloading is not supported.*ossci"):
        MNIST(tmp_path, download=True)


def test_cifar10_reads_pickle_batches(tmp_path):
    batches = make_cifar(tmp_path)
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert (len(train), len(test)) == (20, 4)
    assert train.data.shape == (20, 32, 32, 3)
    data, labels = batches["test_batch"]
    image, label = test[1]
    assert image.shape == (3, 32, 32) and label == labels[1]
    np.testing.assert_allclose(image, data[1].reshape(3, 32, 32) / 255.0, rtol=1e-6)
    x, y = next(iter(DataLoader(test, batch_size=4)))
    np.testing.assert_allclose(x.numpy()[1], image)


def test_cifar10_reads_newer_pickle_protocols(tmp_path):
    batches = make_cifar(tmp_path, protocol=5)
    np.testing.assert_array_equal(CIFAR10(tmp_path, train=False).data[0].transpose(2, 0, 1).ravel(),
                                  batches["test_batch"][0][0])  # fmt: skip


def test_cifar10_missing_file_message(tmp_path):
    make_cifar(tmp_path)
    os.remove(tmp_path / "cifar-10-batches-py" / "data_batch_3")
    with pytest.raises(
        FileNotFoundError, match=r"'data_batch_3' not found.*cifar-10-python.tar.gz"
    ):
        CIFAR10(tmp_path)


def test_cifar10_truncated_file_message(tmp_path):
    make_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(RuntimeError, match=r"test_batch': the file is truncated, corrupt"):
        CIFAR10(tmp_path, train=False)


class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_cifar10_refuses_to_run_code(tmp_path):
    make_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    with open(path, "wb") as f:
        pickle.dump({b"data": Boom(), b"labels": []}, f)
    with pytest.raises(RuntimeError, match=r"refusing to load global (posix|os)\.system"):
        CIFAR10(tmp_path, train=False)


def test_transforms_on_arrays_and_tensors():
    image = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4) / 32
    norm = T.Normalize((0.5, 0.25), (0.5, 0.5))
    out = norm(image)
    np.testing.assert_allclose(out[1], (image[1] - 0.25) / 0.5)
    assert isinstance(norm(ag.from_numpy(image)), ag.Tensor)
    flipped = T.RandomHorizontalFlip(p=1.0)(image)
    np.testing.assert_array_equal(flipped, image[..., ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(image) is image


def test_random_crop_pads_and_is_seeded():
    image = np.ones((1, 8, 8), dtype=np.float32)
    crops = [
        T.RandomCrop(8, padding=2, generator=ag.Generator().manual_seed(s))(image) for s in range(8)
    ]
    assert all(c.shape == (1, 8, 8) for c in crops)
    assert any(c.sum() < 64 for c in crops)  # some shifted crops show the zero padding
    a = T.RandomCrop(8, padding=2, generator=ag.Generator().manual_seed(3))(image)
    b = T.RandomCrop(8, padding=2, generator=ag.Generator().manual_seed(3))(image)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"crop size \(9, 9\) is larger than the input image size"):
        T.RandomCrop(9)(image)


def test_random_transforms_follow_manual_seed():
    image = np.full((1, 4, 4), 0.5, dtype=np.float32)
    noise = T.GaussianNoise(0.0, 0.1)
    ag.manual_seed(5)
    a = noise(image)
    ag.manual_seed(5)
    b = noise(image)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, image) and a.min() >= 0 and a.max() <= 1


def test_compose_and_to_tensor():
    hwc = np.full((4, 4, 3), 255, dtype=np.uint8)
    out = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])(hwc)
    assert isinstance(out, ag.Tensor) and out.shape == (3, 4, 4)
    np.testing.assert_allclose(out.numpy(), 1.0)


def test_transforms_match_torchvision_normalize():
    torch = pytest.importorskip("torch")
    image = np.random.default_rng(0).random((3, 5, 5), dtype=np.float32)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    ours = T.Normalize(mean, std)(image)
    t = torch.from_numpy(image)
    theirs = (t - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)


def test_dataset_with_transform_goes_sample_by_sample():
    ds = Digits(train=False, transform=T.Normalize(Digits.mean, Digits.std))
    assert not hasattr(ds, "_get_batch")
    x, _ = next(iter(DataLoader(ds, batch_size=8)))
    np.testing.assert_allclose(x.numpy()[0], (ds.data[:1] / 16.0 - 0.3051) / 0.3762, rtol=1e-5)
