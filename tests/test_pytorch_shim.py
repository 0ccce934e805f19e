"""The pieces behind `python -m minigan.pytorch`, tested in this process (without installing the
import hooks, which would hide the real PyTorch from the other tests): devices, minigan.save /
minigan.load, the DataLoader, torchvision's transforms, datasets and image grids, and
PyTorch-style autograd Functions."""

import io
import json
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import minigan as mg
from minigan import backend
from minigan.pytorch import autograd, data, transforms, vision
from minigan.pytorch.shim import NotInMinigan, accepting_device, shim_module
from minigan import allclose, equal, set_grad_enabled
from minigan.pytorch.torch_api import Generator, TorchTensor, _Cuda, inference_mode, load, randint
from tests.support import needs_torch, torch


# -- devices ----------------------------------------------------------------------------------
def test_device_names_map_onto_backends():
    assert backend.get("cpu") is backend.get("numpy")
    assert backend.Device("cuda:0") == "cuda" and backend.Device("cpu") != "cuda"
    assert repr(backend.Device("cuda", 0)) == "device(type='cuda', index=0)"
    assert str(backend.Device("cpu")) == "cpu"
    assert backend.backend_name(backend.Device("cuda")) == "cupy"
    assert backend.backend_name("float64") is None
    assert backend.get(SimpleNamespace(type="cpu")) is backend.get("numpy")  # any device class
    with pytest.raises(ValueError, match="'mps' is not one minigan has"):
        backend.Device("mps")


def test_cuda_device_is_the_cupy_backend_or_says_why_not():
    if backend.unavailable_reason("cupy") is None:
        assert backend.get("cuda") is backend.get("cupy")
    else:
        with pytest.raises(backend.BackendUnavailable):
            backend.get("cuda")


def test_tensor_to_accepts_devices_dtypes_and_tensors():
    x = mg.randn(2, 3)
    assert x.device == "cpu" and x.device.type == "cpu" and not x.is_cuda
    assert x.to("cpu") is x and x.cpu() is x
    y = x.to(backend.Device("cpu"), "float64")
    assert y.dtype == np.float64 and y.device == "cpu"
    assert x.to(y).dtype == np.float64
    assert x.to(dtype="float64", device="cpu", non_blocking=True).dtype == np.float64


def test_numpy_functions_see_a_tensor_as_its_array():
    x = mg.randn(3, 4, 5)
    moved = np.transpose(x, (1, 2, 0))
    assert moved.dtype == np.float32 and moved.shape == (4, 5, 3)
    np.testing.assert_array_equal(np.asarray(x, dtype=np.float64), x.numpy())


def test_module_to_a_device_keeps_its_parameters():
    layer = mg.nn.Linear(3, 2)
    weight = layer.weight
    assert layer.to(backend.Device("cpu")) is layer and layer.cpu() is layer
    assert layer.weight is weight
    layer.to("cpu", "float64")
    assert layer.weight is weight and weight.dtype == np.float64


def test_factories_take_pytorch_device_keyword():
    randn = accepting_device(mg.randn)
    assert randn(2, device="cpu").device == "cpu"
    assert accepting_device(mg.Tensor) is mg.Tensor  # classes are left alone
    assert randint(5, (4,)).shape == (4,) and randint(2, 3, (2, 2)).numpy().min() == 2
    assert randint(0, 10, size=(3,)).dtype == np.int64


def test_torch_tensor_is_minigans_class_and_pytorchs_float_constructor():
    assert isinstance(mg.zeros(2), TorchTensor) and issubclass(mg.nn.Parameter, TorchTensor)
    assert not isinstance(np.zeros(2), TorchTensor)
    zeros = TorchTensor(2, 3)
    assert type(zeros) is mg.Tensor and zeros.shape == (2, 3) and zeros.dtype == np.float32
    from_array = TorchTensor(np.arange(3))
    assert from_array.dtype == np.float32 and from_array.tolist() == [0.0, 1.0, 2.0]
    assert TorchTensor.__name__ == "TorchTensor" and TorchTensor.numpy is mg.Tensor.numpy


def test_allclose_and_equal():
    x = mg.tensor([1.0, 2.0])
    assert allclose(x, x + 1e-7) and not allclose(x, x + 1e-3)
    assert equal(x, mg.tensor([1.0, 2.0])) and not equal(x, mg.tensor([1.0]))


def test_cuda_tensor_types_build_on_the_cuda_device():
    assert repr(_Cuda.FloatTensor) == "<class 'torch.cuda.FloatTensor'>"
    if backend.unavailable_reason("cupy") is None and hasattr(mg, "FloatTensor"):
        assert _Cuda.FloatTensor(2, 3).device == "cuda"
    else:
        with pytest.raises((NotInMinigan, backend.BackendUnavailable)):
            _Cuda.FloatTensor(2, 3)


def test_set_grad_enabled_and_inference_mode():
    with set_grad_enabled(False):
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    with inference_mode():
        assert not (mg.ones(1, requires_grad=True) * 2).requires_grad

    @inference_mode()
    def evaluate():
        return mg.is_grad_enabled()

    assert evaluate() is False and mg.is_grad_enabled()


# -- save and load ----------------------------------------------------------------------------
def test_save_load_round_trip_of_a_nested_checkpoint(tmp_path):
    model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.BatchNorm1d(4))
    optimizer = mg.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.9))
    model(mg.randn(5, 3)).sum().backward()
    optimizer.step()
    checkpoint = {"generator": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "epoch": 7, "loss": 0.25, "name": "run", "none": None, "flags": [True, 2],
                  "shape": (2, 3), "mask": np.array([True, False]),
                  "pixels": np.arange(6, dtype=np.uint8)}
    mg.save(checkpoint, tmp_path / "c.pt")
    loaded = mg.load(tmp_path / "c.pt")
    assert list(loaded["generator"]) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded["generator"][key], mg.Tensor)
        np.testing.assert_array_equal(loaded["generator"][key].numpy(), value.numpy())
        assert loaded["generator"][key].dtype == value.dtype
    assert loaded["optimizer"]["param_groups"][0]["betas"] == (0.5, 0.9)
    assert set(loaded["optimizer"]["state"]) == {0, 1, 2, 3}  # int keys stay ints
    assert (loaded["epoch"], loaded["loss"], loaded["name"], loaded["none"]) == (7, 0.25, "run",
                                                                                  None)
    assert loaded["flags"] == [True, 2] and loaded["shape"] == (2, 3)
    assert loaded["mask"].dtype == bool and loaded["pixels"].dtype == np.uint8
    restored = mg.optim.Adam(model.parameters())
    restored.load_state_dict(loaded["optimizer"])
    np.testing.assert_array_equal(restored.state[model[0].weight]["exp_avg"].numpy(),
                                  optimizer.state[model[0].weight]["exp_avg"].numpy())


def test_a_saved_state_dict_is_a_plain_safetensors_file(tmp_path):
    layer = mg.nn.Linear(2, 3)
    mg.save(layer.state_dict(), tmp_path / "layer.pt")
    arrays = load_file(str(tmp_path / "layer.pt"))
    assert sorted(arrays) == ["bias", "weight"]
    np.testing.assert_array_equal(arrays["weight"], layer.weight.numpy())
    payload = (tmp_path / "layer.pt").read_bytes()
    header = json.loads(payload[8:8 + int.from_bytes(payload[:8], "little")])
    assert "minigan.structure" in header["__metadata__"]


def test_plain_safetensors_files_and_file_objects_load(tmp_path):
    save_file({"w": np.ones((2, 2), np.float32)}, str(tmp_path / "plain.safetensors"))
    loaded = mg.load(tmp_path / "plain.safetensors", backend="cpu")
    assert isinstance(loaded["w"], mg.Tensor) and loaded["w"].shape == (2, 2)
    buffer = io.BytesIO()
    mg.save(mg.arange(3), buffer)
    buffer.seek(0)
    np.testing.assert_array_equal(mg.load(buffer).numpy(), [0, 1, 2])
    assert load(tmp_path / "plain.safetensors", map_location="cpu")["w"].device == "cpu"


def test_what_cannot_be_saved_says_so_in_one_line(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a Linear \(at the top level\).*"
                                        r"state_dict\(\)"):
        mg.save(mg.nn.Linear(2, 2), tmp_path / "m.pt")
    with pytest.raises(TypeError, match=r"cannot store a object \(at \['a'\]\['b'\]\)"):
        mg.save({"a": {"b": object()}}, tmp_path / "o.pt")
    with pytest.raises(TypeError, match="dict key"):
        mg.save({(1, 2): 3}, tmp_path / "k.pt")
    assert not (tmp_path / "m.pt").exists()


def test_loading_a_pickle_is_refused(tmp_path):
    (tmp_path / "model.pt").write_bytes(b"\x80\x04\x95pickled bytes")
    with pytest.raises(ValueError, match="not a safetensors file.*never pickles"):
        mg.load(tmp_path / "model.pt")


@needs_torch
def test_a_state_dict_saved_by_minigan_loads_into_pytorch_and_back(tmp_path):
    from safetensors.torch import load_file as torch_load_file
    from safetensors.torch import save_file as torch_save_file
    layer = mg.nn.Linear(3, 2)
    mg.save(layer.state_dict(), tmp_path / "m.pt")
    reference = torch.nn.Linear(3, 2)
    reference.load_state_dict(torch_load_file(str(tmp_path / "m.pt")))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(reference(torch.from_numpy(x)).detach().numpy(),
                               layer(mg.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)
    torch_save_file(reference.state_dict(), str(tmp_path / "t.safetensors"))
    other = mg.nn.Linear(3, 2)
    other.load_state_dict(mg.load(tmp_path / "t.safetensors"))
    np.testing.assert_array_equal(other.weight.numpy(), layer.weight.numpy())


# -- DataLoader -------------------------------------------------------------------------------
class Squares(data.Dataset):
    def __init__(self, count):
        self.count = count

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        return mg.tensor([index, index * index], dtype="float32"), index


def test_dataloader_has_pytorchs_defaults():
    loader = data.DataLoader(Squares(5))
    batches = list(loader)
    assert len(loader) == len(batches) == 5
    assert [labels.tolist() for _, labels in batches] == [[0], [1], [2], [3], [4]]


def test_dataloader_keeps_the_last_partial_batch_unless_told():
    assert [len(y) for _, y in data.DataLoader(Squares(10), batch_size=4)] == [4, 4, 2]
    dropping = data.DataLoader(Squares(10), batch_size=4, drop_last=True)
    assert len(dropping) == 2 and [len(y) for _, y in dropping] == [4, 4]


def test_dataloader_collates_like_pytorch():
    images, labels = next(iter(data.DataLoader(Squares(3), batch_size=3, num_workers=4,
                                               pin_memory=True)))
    assert isinstance(images, mg.Tensor) and images.shape == (3, 2) and images.dtype == np.float32
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2]
    batch = data.default_collate([{"x": 1.5, "name": "a", "v": np.zeros(2, np.uint8)},
                                  {"x": 2.5, "name": "b", "v": np.ones(2, np.uint8)}])
    assert batch["x"].dtype == np.float64 and batch["name"] == ["a", "b"]
    assert batch["v"].dtype == np.uint8 and batch["v"].shape == (2, 2)
    assert data.default_collate([(True, 1), (False, 2)])[0].dtype == bool
    with pytest.raises(TypeError, match="cannot batch items of type object"):
        data.default_collate([object()])
    with pytest.raises(TypeError, match="unexpected option"):
        data.DataLoader(Squares(3), batch_sizes=3)


def test_shuffling_follows_manual_seed_and_covers_every_item():
    mg.manual_seed(3)
    first = [y.item() for _, y in data.DataLoader(Squares(20), shuffle=True)]
    mg.manual_seed(3)
    again = [y.item() for _, y in data.DataLoader(Squares(20), shuffle=True)]
    assert first == again and sorted(first) == list(range(20)) and first != list(range(20))


def test_a_torch_generator_makes_splits_and_shuffles_repeatable():
    dataset = data.TensorDataset(mg.arange(50))
    first = data.random_split(dataset, [0.8, 0.2], generator=Generator().manual_seed(42))
    again = data.random_split(dataset, [0.8, 0.2], generator=Generator().manual_seed(42))
    other = data.random_split(dataset, [0.8, 0.2], generator=Generator().manual_seed(7))
    assert first[1].indices == again[1].indices != other[1].indices
    loader = data.DataLoader(dataset, batch_size=50, shuffle=True,
                             generator=Generator().manual_seed(1))
    order = next(iter(loader))[0].tolist()
    assert order == next(iter(data.DataLoader(dataset, batch_size=50, shuffle=True,
                                              generator=Generator().manual_seed(1))))[0].tolist()
    assert sorted(order) == list(range(50)) and Generator().manual_seed(3).initial_seed() == 3


def test_samplers_and_unbatched_loading():
    loader = data.DataLoader(Squares(6), batch_size=2, sampler=[5, 3, 1])
    assert [y.tolist() for _, y in loader] == [[5, 3], [1]] and len(loader) == 2
    by_batches = data.DataLoader(Squares(6), batch_sampler=[[0, 1, 2], [4]])
    assert [y.tolist() for _, y in by_batches] == [[0, 1, 2], [4]]
    unbatched = list(data.DataLoader(data.TensorDataset(mg.arange(3)), batch_size=None))
    assert len(unbatched) == 3


def test_samplers_concat_and_iterable_datasets():
    assert list(data.SequentialSampler(range(3))) == [0, 1, 2]
    mg.manual_seed(0)
    order = list(data.RandomSampler(range(5)))
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert len(list(data.RandomSampler(range(3), num_samples=7))) == 7
    assert all(0 <= i < 3 for i in data.RandomSampler(range(3), replacement=True,
                                                       num_samples=20))
    batches = data.BatchSampler(data.SequentialSampler(range(5)), 2, drop_last=False)
    assert list(batches) == [[0, 1], [2, 3], [4]] and len(batches) == 3
    loader = data.DataLoader(Squares(5), batch_sampler=batches)
    assert [y.tolist() for _, y in loader] == [[0, 1], [2, 3], [4]]
    both = data.ConcatDataset([Squares(2), Squares(3)])
    assert len(both) == 5 and both[2][1] == 0 and both[4][1] == 2 and both[-1][1] == 2

    class Counting(data.IterableDataset):
        def __iter__(self):
            return iter(range(5))

    assert [b.tolist() for b in data.DataLoader(Counting(), batch_size=2)] == [[0, 1], [2, 3],
                                                                              [4]]
    with pytest.raises(TypeError, match="no length"):
        len(data.DataLoader(Counting()))


def test_tensor_dataset_subset_and_random_split():
    points, labels = mg.randn(10, 2), mg.arange(10)
    dataset = data.TensorDataset(points, labels)
    x, y = dataset[3]
    np.testing.assert_array_equal(x.numpy(), points.numpy()[3])
    assert y.item() == 3 and len(dataset) == 10
    with pytest.raises(ValueError, match="first dimensions differ"):
        data.TensorDataset(mg.randn(3, 2), mg.arange(4))
    subset = data.Subset(dataset, [9, 0])
    assert len(subset) == 2 and subset[0][1].item() == 9
    parts = data.random_split(dataset, [7, 3])
    assert [len(part) for part in parts] == [7, 3]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert [len(part) for part in data.random_split(dataset, [0.5, 0.25, 0.25])] == [6, 2, 2]
    with pytest.raises(ValueError, match="add up to 9"):
        data.random_split(dataset, [4, 5])


# -- transforms -------------------------------------------------------------------------------
def _image(height, width, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


def test_to_tensor_and_normalize():
    image = _image(4, 5)
    tensor = transforms.ToTensor()(image)
    assert tensor.shape == (3, 4, 5) and tensor.dtype == np.float32
    np.testing.assert_array_equal(tensor.numpy(),
                                  image.transpose(2, 0, 1).astype(np.float32) / np.float32(255))
    normalized = transforms.Normalize((0.5, 0.4, 0.3), (0.5, 0.2, 0.1))(tensor)
    expected = (tensor.numpy() - np.array([0.5, 0.4, 0.3], np.float32)[:, None, None]) \
        / np.array([0.5, 0.2, 0.1], np.float32)[:, None, None]
    np.testing.assert_allclose(normalized.numpy(), expected, rtol=1e-6)
    assert transforms.ToTensor()(_image(3, 3)[:, :, 0]).shape == (1, 3, 3)


def test_resize_matches_the_shorter_side_and_center_crop_is_centred():
    assert transforms.Resize(8)(_image(16, 32)).shape == (8, 16, 3)
    assert transforms.Resize(8)(_image(30, 10)).shape == (24, 8, 3)
    assert transforms.Resize((5, 7))(_image(16, 32)).shape == (5, 7, 3)
    assert transforms.Resize(8)(transforms.ToTensor()(_image(16, 32))).shape == (3, 8, 16)
    image = _image(7, 10)
    np.testing.assert_array_equal(transforms.CenterCrop(4)(image), image[2:6, 3:7])
    np.testing.assert_array_equal(transforms.CenterCrop((3, 10))(image), image[2:5])
    padded = transforms.CenterCrop(9)(_image(5, 5))
    assert padded.shape == (9, 9, 3) and padded[0].max() == 0


def test_grayscale_is_the_luma_of_rgb():
    image = _image(3, 4)
    grey = transforms.Grayscale()(image)
    expected = np.rint(image.astype(np.float64) @ [0.299, 0.587, 0.114])
    assert grey.shape == (3, 4, 1)
    assert np.abs(grey[:, :, 0].astype(int) - expected).max() <= 1
    assert transforms.Grayscale(3)(image).shape == (3, 4, 3)


def test_flip_pad_and_random_crop():
    image = _image(4, 6)
    mg.manual_seed(0)
    flipped = [transforms.RandomHorizontalFlip()(image) for _ in range(20)]
    assert any(np.array_equal(f, image[:, ::-1]) for f in flipped)
    assert any(np.array_equal(f, image) for f in flipped)
    np.testing.assert_array_equal(transforms.RandomHorizontalFlip(p=1.0)(image), image[:, ::-1])
    padded = transforms.Pad((1, 2), fill=7)(image)
    assert padded.shape == (8, 8, 3) and padded[0, 0, 0] == 7
    np.testing.assert_array_equal(padded[2:6, 1:7], image)
    assert transforms.Pad((1, 0, 2, 3))(image).shape == (7, 9, 3)
    crop = transforms.RandomCrop(3)(image)
    assert crop.shape == (3, 3, 3)
    assert any(np.array_equal(crop, image[t:t + 3, l:l + 3]) for t in range(2) for l in range(4))
    assert transforms.RandomCrop(6, padding=1)(_image(4, 4)).shape == (6, 6, 3)
    with pytest.raises(ValueError, match="smaller size"):
        transforms.RandomCrop(9)(image)


def test_compose_applies_in_order():
    pipeline = transforms.Compose([transforms.CenterCrop(4), transforms.ToTensor(),
                                   transforms.Lambda(lambda t: t * 2)])
    assert pipeline(_image(6, 6)).shape == (3, 4, 4)
    assert pipeline(np.full((6, 6, 1), 255, np.uint8)).numpy().max() == 2.0


# -- datasets ---------------------------------------------------------------------------------
def _write_idx(path, array, magic):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_reads_idx_files_under_root(tmp_path, capsys):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    _write_idx(raw / "train-images-idx3-ubyte", images, 2051)
    _write_idx(raw / "train-labels-idx1-ubyte", np.array([4, 1, 7]), 2049)
    mnist = vision.MNIST(tmp_path, train=True, transform=transforms.ToTensor())
    assert len(mnist) == 3
    image, label = mnist[2]
    assert label == 7 and image.shape == (1, 28, 28)
    np.testing.assert_allclose(image.numpy()[0] * 255, images[2], atol=1e-4)
    assert capsys.readouterr().err == ""


def test_mnist_without_files_uses_the_bundled_set_and_says_so_once(tmp_path, capsys):
    vision._told.clear()
    first = vision.MNIST(tmp_path / "nothing", download=True)
    vision.MNIST(tmp_path / "nothing", download=True)
    vision.MNIST(tmp_path / "nothing", train=False)
    notes = capsys.readouterr().err.strip().splitlines()
    assert len(notes) == 1 and "bundled MNIST-5k" in notes[0] and "never downloads" in notes[0]
    image, label = first[0]
    assert len(first) == 5000 and image.shape == (28, 28, 1) and image.dtype == np.uint8
    assert not (tmp_path / "nothing").exists()  # nothing downloaded, nothing created


def test_fashion_mnist_reads_idx_files_and_never_falls_back(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28)), 2051)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([9, 0]), 2049)
    fashion = vision.FashionMNIST(tmp_path, train=False)
    assert len(fashion) == 2 and fashion[0][1] == 9 and fashion.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError, match="never downloads; put train-images"):
        vision.FashionMNIST(tmp_path, train=True, download=True)


def test_image_folder_classes_and_targets(tmp_path):
    for name, count in (("dogs", 2), ("cats", 1)):
        (tmp_path / name).mkdir()
        for i in range(count):
            bgr = np.ascontiguousarray(_image(6, 8, seed=i)[:, :, ::-1])  # OpenCV writes BGR
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), bgr)
    (tmp_path / "dogs" / "notes.txt").write_text("not an image")
    folder = vision.ImageFolder(tmp_path)
    assert folder.classes == ["cats", "dogs"] and folder.class_to_idx == {"cats": 0, "dogs": 1}
    assert folder.targets == [0, 1, 1] and len(folder) == 3
    image, target = folder[1]
    assert target == 1 and image.shape == (6, 8, 3)
    np.testing.assert_array_equal(image, _image(6, 8, seed=0))  # read back as RGB
    with pytest.raises(FileNotFoundError, match="not a folder"):
        vision.ImageFolder(tmp_path / "missing")


def test_fake_data_is_the_same_each_time_it_is_read():
    fake = vision.FakeData(size=4, image_size=(3, 5, 6), num_classes=3)
    (a, ta), (b, tb) = fake[2], fake[2]
    np.testing.assert_array_equal(a, b)
    assert ta == tb and 0 <= ta < 3 and a.shape == (5, 6, 3) and len(fake) == 4
    assert not np.array_equal(fake[0][0], fake[1][0])
    with pytest.raises(IndexError):
        fake[4]


# -- make_grid and save_image -----------------------------------------------------------------
def test_make_grid_lays_images_out_as_torchvision_does():
    batch = np.arange(5 * 3 * 2 * 2, dtype=np.float32).reshape(5, 3, 2, 2)
    grid = vision.make_grid(mg.tensor(batch), nrow=2, padding=1, pad_value=-1).numpy()
    assert grid.shape == (3, 3 * 3 + 1, 2 * 3 + 1)
    np.testing.assert_array_equal(grid[:, 1:3, 1:3], batch[0])
    np.testing.assert_array_equal(grid[:, 1:3, 4:6], batch[1])
    np.testing.assert_array_equal(grid[:, 7:9, 1:3], batch[4])
    assert (grid[:, 7:9, 4:6] == -1).all() and (grid[:, 0, :] == -1).all()
    assert vision.make_grid(mg.randn(10, 3, 4, 4)).shape == (3, 2 * 6 + 2, 8 * 6 + 2)


def test_make_grid_normalizes_and_expands_grey_images():
    batch = mg.tensor(np.array([[[[-1.0, 3.0]]], [[[1.0, 0.0]]]], dtype=np.float32))
    grid = vision.make_grid(batch, padding=0, normalize=True).numpy()
    assert grid.shape == (3, 1, 4)
    np.testing.assert_allclose(grid[0], [[0.0, 1.0, 0.5, 0.25]])
    clamped = vision.make_grid(batch, padding=0, normalize=True, value_range=(0, 1)).numpy()
    np.testing.assert_allclose(clamped[1], [[0.0, 1.0, 1.0, 0.0]])
    old_name = vision.make_grid(batch, padding=0, normalize=True, range=(0, 1)).numpy()
    np.testing.assert_array_equal(old_name, clamped)
    single = vision.make_grid(mg.ones(1, 3, 2, 2))
    assert single.shape == (3, 2, 2)


def test_save_image_writes_the_grid(tmp_path):
    batch = np.zeros((2, 3, 4, 4), dtype=np.float32)
    batch[1, 0] = 1.0  # the second image red
    vision.save_image(mg.tensor(batch), tmp_path / "grid.png")
    picture = cv2.imread(str(tmp_path / "grid.png"))[:, :, ::-1]  # BGR -> RGB
    assert picture.shape == (8, 14, 3)
    np.testing.assert_array_equal(picture[2, 8], [255, 0, 0])
    np.testing.assert_array_equal(picture[2, 2], [0, 0, 0])


# -- PyTorch-style autograd Functions ---------------------------------------------------------
class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        return grad_output * 3 * x * x  # d/dx x^3 = 3x^2


class Exp(autograd.Function):
    """Saves its output, as PyTorch's own exp does."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        y, = ctx.saved_tensors
        return grad_output * y


class Scale(autograd.Function):
    """A non-tensor argument, and the forward-without-ctx style of setup_context."""

    @staticmethod
    def forward(x, factor):
        return x * factor

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.factor = inputs[1]

    @staticmethod
    def backward(ctx, grad_output):
        assert ctx.needs_input_grad == (True, False)
        return grad_output * ctx.factor, None


def _leaf(values):
    return mg.tensor(np.array(values, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("function", [Cube, Exp])
def test_custom_function_first_and_second_derivatives(function):
    x = _leaf([-0.7, 0.3, 1.1])
    assert mg.gradcheck(function.apply, [x])
    assert mg.gradgradcheck(function.apply, [x])


def test_custom_function_with_a_non_tensor_argument():
    x = _leaf([1.0, -2.0])
    y = Scale.apply(x, 3.0)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and repr(y.creator) == "<ScaleBackward>"
    with mg.no_grad():
        assert not Scale.apply(x, 2.0).requires_grad


def test_custom_function_returning_too_few_gradients_says_so():
    class Forgetful(Scale):
        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(RuntimeError, match="returned 1 gradient.*for 2 forward argument"):
        Forgetful.apply(_leaf([1.0]), 2.0).sum().backward()


def test_a_custom_function_with_several_outputs_says_it_is_not_part_of_minigan():
    class Split(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

    with pytest.raises(NotInMinigan, match=r"torch.autograd.Function with several outputs "
                                           r"\(Split\) is not part of minigan"):
        Split.apply(_leaf([1.0]))


def test_variable_is_a_detached_tensor():
    x = mg.randn(3, requires_grad=True)
    y = x * 2
    v = autograd.Variable(y, requires_grad=True)
    assert v.is_leaf and v.requires_grad and v is not y
    np.testing.assert_array_equal(v.numpy(), y.numpy())
    assert not autograd.Variable(mg.ones(2)).requires_grad


def test_autograd_grad_accepts_pytorchs_keywords():
    x = _leaf([2.0])
    g, = autograd.grad(outputs=(x * x).sum(), inputs=x, grad_outputs=None, create_graph=True,
                       retain_graph=True, only_inputs=True)
    assert g.tolist() == [4.0] and g.requires_grad


# -- shim modules -----------------------------------------------------------------------------
def test_a_missing_name_is_one_line_and_still_an_attribute_error():
    module = shim_module("torch.nn", None, [mg.nn])
    assert module.Linear is mg.nn.Linear
    with pytest.raises(NotInMinigan) as error:
        module.Transformer
    assert str(error.value) == "torch.nn.Transformer is not part of minigan"
    assert not hasattr(module, "Transformer") and isinstance(error.value, AttributeError)
    assert "Linear" in dir(module)


def test_type_with_a_cuda_tensor_type_moves_to_the_gpu_and_a_plain_one_to_the_cpu(simulated_gpu):
    on_cpu = mg.ones(2, 3, dtype="float64")
    on_gpu = on_cpu.type(_Cuda.FloatTensor)
    assert on_gpu.backend == "cupy" and on_gpu.dtype == "float32"
    back = on_gpu.type(mg.LongTensor)
    assert back.backend == "numpy" and back.dtype == "int64"
    assert on_cpu.type("torch.cuda.DoubleTensor").backend == "cupy"
    assert on_gpu.type("torch.FloatTensor").backend == "numpy"
