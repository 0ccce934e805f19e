"""Data sets and the DataLoader: the bundled sets, IDX and image-folder files written here,
the toy 2-D sets, `load()` specs, and batches that are reproducible and resume exactly."""

import gzip
import json

import cv2
import numpy as np
import pytest

import minigan as mg
from minigan import data
from minigan.data.images import resize_images


# -- bundled sets ----------------------------------------------------------------------------

def test_mnist5k_shapes_balance_and_range():
    mnist = data.mnist5k()
    assert mnist.images.shape == (5000, 1, 28, 28) and mnist.images.dtype == np.uint8
    assert mnist.labels.shape == (5000,) and mnist.labels.dtype == np.int64
    assert np.bincount(mnist.labels).tolist() == [500] * 10
    assert mnist.images.min() == 0 and mnist.images.max() == 255
    assert mnist.images.mean() < 60  # white digits on a black background
    assert (mnist.num_classes, mnist.name, mnist.sample_shape) == (10, "mnist5k", (1, 28, 28))
    image, label = mnist[7]
    assert image.shape == (1, 28, 28) and label == mnist.labels[7]
    assert len(mnist) == 5000 and "mnist5k" in repr(mnist) and "10 classes" in repr(mnist)


def test_lfw_subset_is_unlabelled_grey_faces():
    faces = data.lfw_subset()
    assert faces.images.shape == (100, 1, 25, 25) and faces.images.dtype == np.uint8
    assert faces.images.max() > 200 and faces.images.std() > 20  # real photographs, not blank
    assert (faces.labels == -1).all() and faces.num_classes == 0
    assert "unlabelled" in repr(faces)


def test_dataset_rejects_mismatched_labels_and_float_images():
    with pytest.raises(ValueError, match="one label per sample"):
        data.Dataset(np.zeros((4, 1, 2, 2), np.uint8), labels=[0, 1, 2])
    with pytest.raises(TypeError, match="uint8"):
        data.Dataset(np.zeros((4, 1, 2, 2), np.float32))


# -- MNIST IDX files -------------------------------------------------------------------------

def write_idx(path, array, magic, compress=False):
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def small_mnist(count=12, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (count, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, count, dtype=np.uint8))


def write_mnist(directory, split_prefix="train", compress=False, dotted=False, count=12):
    images, labels = small_mnist(count)
    suffix = ".gz" if compress else ""
    images_name = f"{split_prefix}-images{'.' if dotted else '-'}idx3-ubyte{suffix}"
    labels_name = f"{split_prefix}-labels{'.' if dotted else '-'}idx1-ubyte{suffix}"
    write_idx(directory / images_name, images, 2051, compress)
    write_idx(directory / labels_name, labels, 2049, compress)
    return directory / images_name, directory / labels_name


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("dotted", [False, True], ids=["dashed", "dotted"])
def test_idx_round_trip(tmp_path, compress, dotted):
    write_mnist(tmp_path, compress=compress, dotted=dotted)
    mnist = data.mnist_idx(tmp_path)
    images, labels = small_mnist()
    assert mnist.images.shape == (12, 1, 28, 28) and mnist.images.dtype == np.uint8
    np.testing.assert_array_equal(mnist.images[:, 0], images)
    np.testing.assert_array_equal(mnist.labels, labels)
    assert mnist.labels.dtype == np.int64 and mnist.num_classes == 10


def test_idx_test_split_reads_t10k_files(tmp_path):
    write_mnist(tmp_path, split_prefix="t10k", count=5)
    assert len(data.mnist_idx(tmp_path, split="test")) == 5
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.mnist_idx(tmp_path, split="train")
    with pytest.raises(ValueError, match="'train' or 'test'"):
        data.mnist_idx(tmp_path, split="validation")


def test_idx_missing_file_names_what_was_looked_for(tmp_path):
    images_path, labels_path = write_mnist(tmp_path)
    labels_path.unlink()
    with pytest.raises(FileNotFoundError) as error:
        data.mnist_idx(tmp_path)
    message = str(error.value)
    assert "labels" in message and str(tmp_path) in message
    for name in ["train-labels-idx1-ubyte", "train-labels-idx1-ubyte.gz",
                 "train-labels.idx1-ubyte", "train-labels.idx1-ubyte.gz"]:
        assert name in message
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.mnist_idx(tmp_path / "nowhere")


def test_idx_bad_magic_is_corrupt(tmp_path):
    images_path, _ = write_mnist(tmp_path)
    write_idx(images_path, small_mnist()[0], 2049)  # a labels magic on the images file
    with pytest.raises(data.CorruptIdxFile, match="magic number 2049 is not 2051"):
        data.mnist_idx(tmp_path)


@pytest.mark.parametrize("keep", [10, -100], ids=["in-header", "in-data"])
def test_idx_truncated_is_corrupt(tmp_path, keep):
    images_path, _ = write_mnist(tmp_path)
    images_path.write_bytes(images_path.read_bytes()[:keep])
    with pytest.raises(data.CorruptIdxFile, match="truncated"):
        data.mnist_idx(tmp_path)


def test_idx_truncated_gzip_is_corrupt(tmp_path):
    images_path, _ = write_mnist(tmp_path, compress=True)
    images_path.write_bytes(images_path.read_bytes()[:-40])
    with pytest.raises(data.CorruptIdxFile, match="gzip"):
        data.mnist_idx(tmp_path)


def test_idx_images_and_labels_must_agree_in_count(tmp_path):
    _, labels_path = write_mnist(tmp_path, count=12)
    write_idx(labels_path, np.zeros(11, np.uint8), 2049)
    with pytest.raises(data.CorruptIdxFile, match="12 images but .* 11 labels"):
        data.mnist_idx(tmp_path)


# -- image folders ---------------------------------------------------------------------------

def bgr(red, green, blue, height, width):
    """A solid colour image in OpenCV's channel order."""
    return np.full((height, width, 3), (blue, green, red), dtype=np.uint8)


def test_colour_images_are_rgb_and_cropped_to_the_centre(tmp_path):
    # 20 x 40: a white centre square between two black bands, which the crop removes
    banded = np.zeros((20, 40, 3), np.uint8)
    banded[:, 10:30] = 255
    cv2.imwrite(str(tmp_path / "a_banded.png"), banded)
    cv2.imwrite(str(tmp_path / "b_red.png"), bgr(255, 0, 0, 30, 30))
    cropped = data.image_folder(tmp_path, image_size=8)
    assert cropped.images.shape == (2, 3, 8, 8) and cropped.images.dtype == np.uint8
    assert (cropped.images[0] == 255).all()
    np.testing.assert_array_equal(cropped.images[1, :, 0, 0], [255, 0, 0])  # red stays first
    squeezed = data.image_folder(tmp_path, image_size=8, center_crop=False)
    assert squeezed.images[0, :, :, 0].max() == 0  # the black band, squeezed, not cropped
    assert (cropped.labels == -1).all() and cropped.num_classes == 0


def test_grey_images_subfolders_and_upper_case_extensions(tmp_path):
    (tmp_path / "person" / "deeper").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "top.jpg"), np.full((50, 40), 90, np.uint8))
    cv2.imwrite(str(tmp_path / "person" / "face.PNG"), bgr(200, 200, 200, 10, 12))
    cv2.imwrite(str(tmp_path / "person" / "deeper" / "face.bmp"), np.full((6, 6), 30, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image, and not counted")
    grey = data.image_folder(tmp_path, image_size=16, channels=1)
    assert grey.images.shape == (3, 1, 16, 16)
    # sorted paths: person/deeper/face.bmp, person/face.PNG, top.jpg
    assert np.abs(grey.images.reshape(3, -1).mean(axis=1) - [30, 200, 90]).max() < 2
    colour = data.image_folder(tmp_path, image_size=16, channels=3)
    np.testing.assert_array_equal(colour.images[:, 0], colour.images[:, 2])  # grey as RGB


def test_shrinking_averages_pixels(tmp_path):
    # a 9x9 checkerboard shrunk to 3x3: INTER_AREA averages each 3x3 block of 5 and 4 squares,
    # where INTER_LINEAR would sample single pixels (0 or 255)
    checkerboard = (np.indices((9, 9)).sum(axis=0) % 2 * 255).astype(np.uint8)
    cv2.imwrite(str(tmp_path / "board.png"), checkerboard)
    shrunk = data.image_folder(tmp_path, image_size=3, channels=1).images
    assert set(np.unique(shrunk)) <= set(range(100, 156))
    np.testing.assert_array_equal(resize_images(checkerboard[None, None], 3), shrunk)
    enlarged = resize_images(np.full((2, 1, 4, 4), 77, np.uint8), 10)
    assert enlarged.shape == (2, 1, 10, 10) and (enlarged == 77).all()


def test_unreadable_files_are_skipped_with_one_warning(tmp_path):
    cv2.imwrite(str(tmp_path / "good.png"), bgr(0, 0, 255, 8, 8))
    for name in ["broken1.png", "broken2.jpg"]:
        (tmp_path / name).write_bytes(b"this is not an image")
    with pytest.warns(UserWarning, match=r"skipped 2 of 3 .*broken1\.png, broken2\.jpg") as record:
        faces = data.image_folder(tmp_path, image_size=4)
    assert len(record) == 1
    assert len(faces) == 1 and (faces.images[0, 2] == 255).all()


def test_a_folder_with_nothing_readable_is_an_error(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="could read none of the 1 image files"):
        data.image_folder(tmp_path)


def test_empty_and_missing_folders_are_errors(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match="no image files .* under"):
        data.image_folder(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist: pass a folder"):
        data.image_folder(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="is a file, not a folder"):
        data.image_folder(tmp_path / "readme.txt")
    with pytest.raises(ValueError, match="image_size must be a positive integer"):
        data.image_folder(tmp_path, image_size=0)
    with pytest.raises(ValueError, match="channels must be 1"):
        data.image_folder(tmp_path, channels=4)


# -- load() ----------------------------------------------------------------------------------

def test_load_bundled_and_toy_specs():
    assert data.load("mnist5k").images.shape == (5000, 1, 28, 28)
    assert data.load("lfw-subset").images.shape == (100, 1, 25, 25)
    assert data.load("ring8").images.shape == (10000, 2)
    assert data.load("grid25").modes.shape == (25, 2)


def test_load_resizes_and_converts_image_sets():
    mnist = data.load("mnist5k", image_size=32, channels=3)
    assert mnist.images.shape == (5000, 3, 32, 32) and mnist.images.dtype == np.uint8
    np.testing.assert_array_equal(mnist.labels, data.mnist5k().labels)
    assert mnist.sample_shape == (3, 32, 32) and mnist.num_classes == 10
    faces = data.load("lfw-subset", channels=3)
    np.testing.assert_array_equal(faces.images[:, 1:2], data.lfw_subset().images)
    grey_again = faces.converted(channels=1)
    assert np.abs(grey_again.images.astype(int) - data.lfw_subset().images).max() <= 1
    with pytest.raises(ValueError, match="2-D points, not images"):
        data.load("ring8", image_size=32)


def test_load_files_from_a_directory(tmp_path):
    (tmp_path / "mnist").mkdir()
    write_mnist(tmp_path / "mnist")
    mnist = data.load(f"mnist:{tmp_path / 'mnist'}", image_size=14)
    assert mnist.images.shape == (12, 1, 14, 14) and mnist.name.startswith("mnist:")
    (tmp_path / "faces").mkdir()
    cv2.imwrite(str(tmp_path / "faces" / "face.jpg"), bgr(10, 20, 30, 40, 50))
    assert data.load(f"folder:{tmp_path / 'faces'}").images.shape == (1, 3, 64, 64)
    grey = data.load(f"folder:{tmp_path / 'faces'}", image_size=32, channels=1)
    assert grey.images.shape == (1, 1, 32, 32)


@pytest.mark.parametrize("spec", ["cifar10", "celeba:/data", "mnist:", "MNIST5K"])
def test_load_unknown_spec_lists_the_valid_forms(spec):
    with pytest.raises(ValueError, match="valid forms") as error:
        data.load(spec)
    assert all(form in str(error.value) for form in data.SPEC_FORMS)


# -- toy 2-D sets ----------------------------------------------------------------------------

def check_mixture(toy, std):
    assert toy.images.dtype == np.float32 and toy.labels.dtype == np.int64
    assert toy.sample_shape == (2,) and toy.num_classes == len(toy.modes)
    assert set(np.unique(toy.labels)) == set(range(len(toy.modes)))
    offsets = toy.images - toy.modes[toy.labels]
    assert abs(offsets.std() - std) < 0.05 * std and np.abs(offsets.mean(axis=0)).max() < 0.1 * std


def test_ring8_modes_lie_on_the_ring():
    ring = data.ring8(n=4000, radius=3.0, std=0.1)
    assert ring.modes.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(ring.modes, axis=1), 3.0, rtol=1e-6)
    angles = np.sort(np.arctan2(ring.modes[:, 1], ring.modes[:, 0]))
    np.testing.assert_allclose(np.diff(angles), np.pi / 4, rtol=1e-5)
    check_mixture(ring, 0.1)


def test_grid25_modes_form_a_centred_grid():
    grid = data.grid25(n=5000, spacing=1.5, std=0.05)
    assert sorted(set(grid.modes[:, 0].tolist())) == [-3.0, -1.5, 0.0, 1.5, 3.0]
    assert len({tuple(mode) for mode in grid.modes.tolist()}) == 25
    np.testing.assert_allclose(grid.modes.mean(axis=0), 0.0, atol=1e-6)
    check_mixture(grid, 0.05)


def test_toy_sets_follow_their_seed():
    np.testing.assert_array_equal(data.ring8(n=50, seed=3).images, data.ring8(n=50, seed=3).images)
    assert not np.array_equal(data.grid25(n=50, seed=1).images, data.grid25(n=50, seed=2).images)
    with pytest.raises(ValueError, match="positive number of points"):
        data.ring8(n=0)


# -- DataLoader ------------------------------------------------------------------------------

def numbered(count):
    """A data set whose sample i is an image filled with i, labelled i: batches show the order."""
    images = np.broadcast_to(np.arange(count, dtype=np.uint8)[:, None, None, None],
                             (count, 1, 2, 2))
    return data.Dataset(images, np.arange(count), num_classes=count, name="numbered")


def epoch_labels(loader):
    return [labels.numpy().tolist() for _, labels in loader]


def test_batches_are_tensors_of_the_right_shape_and_range(backend_name):
    loader = data.DataLoader(data.mnist5k(), batch_size=100, backend=backend_name)
    assert len(loader) == 50
    lowest, highest, count = 1.0, -1.0, 0
    for images, labels in loader:
        assert isinstance(images, mg.Tensor) and images.backend == backend_name
        assert images.shape == (100, 1, 28, 28) and images.dtype == np.float32
        assert labels.shape == (100,) and labels.dtype == np.int64
        lowest, highest = min(lowest, images.numpy().min()), max(highest, images.numpy().max())
        count += 1
    assert (lowest, highest, count) == (-1.0, 1.0, 50)


def test_sigmoid_range_and_exact_pixel_values():
    faces = data.lfw_subset()
    loader = data.DataLoader(faces, batch_size=100, shuffle=False, output_range="sigmoid")
    images, _ = next(iter(loader))
    np.testing.assert_allclose(images.numpy(), faces.images / 255.0, rtol=1e-6)
    assert images.numpy().min() >= 0.0 and images.numpy().max() == 1.0
    tanh_images, _ = next(iter(data.DataLoader(faces, batch_size=100, shuffle=False)))
    np.testing.assert_allclose(tanh_images.numpy(), faces.images / 127.5 - 1, atol=1e-6)


def test_toy_points_are_returned_unscaled():
    ring = data.ring8(n=64)
    points, labels = next(iter(data.DataLoader(ring, batch_size=64, shuffle=False)))
    np.testing.assert_array_equal(points.numpy(), ring.images)
    np.testing.assert_array_equal(labels.numpy(), ring.labels)
    assert np.abs(points.numpy()).max() > 1.5  # the ring's radius, not squashed into [-1, 1]


def test_every_example_once_per_epoch_and_drop_last():
    kept = data.DataLoader(numbered(10), batch_size=3)
    batches = epoch_labels(kept)
    assert len(kept) == 3 and [len(batch) for batch in batches] == [3, 3, 3]
    assert len(set(sum(batches, []))) == 9
    every = data.DataLoader(numbered(10), batch_size=3, drop_last=False)
    batches = epoch_labels(every)
    assert len(every) == 4 and [len(batch) for batch in batches] == [3, 3, 3, 1]
    assert sorted(sum(batches, [])) == list(range(10))
    images, labels = next(iter(data.DataLoader(numbered(10), batch_size=10)))
    pixels = np.rint((images.numpy()[:, 0, 0, 0] + 1) * 127.5)
    np.testing.assert_array_equal(pixels, labels.numpy())  # each image travels with its label


def test_shuffled_order_is_the_documented_permutation():
    loader = data.DataLoader(numbered(20), batch_size=5, seed=7)
    for epoch in range(2):
        expected = np.random.default_rng([7, epoch]).permutation(20)
        assert sum(epoch_labels(loader), []) == expected.tolist() and loader.epoch == epoch
    unshuffled = data.DataLoader(numbered(20), batch_size=5, shuffle=False)
    assert sum(epoch_labels(unshuffled), []) == list(range(20))


def test_seeds_reproduce_and_epochs_differ():
    first, again = (data.DataLoader(numbered(50), batch_size=10, seed=1) for _ in range(2))
    other_seed = data.DataLoader(numbered(50), batch_size=10, seed=2)
    epoch0 = epoch_labels(first)
    assert epoch0 == epoch_labels(again)
    assert epoch0 != epoch_labels(other_seed)
    assert epoch_labels(first) != epoch0  # the next epoch is another order


def test_resume_mid_epoch_gives_the_uninterrupted_batches():
    uninterrupted = data.DataLoader(numbered(23), batch_size=4, seed=5)
    expected = [epoch_labels(uninterrupted) for _ in range(3)]
    interrupted = data.DataLoader(numbered(23), batch_size=4, seed=5)
    epoch_labels(interrupted)
    seen = []
    for _, labels in interrupted:
        seen.append(labels.numpy().tolist())
        if len(seen) == 2:
            break
    state = json.loads(json.dumps(interrupted.state_dict()))
    assert state == {"epoch": 1, "batch": 2, "seed": 5}
    resumed = data.DataLoader(numbered(23), batch_size=4, seed=99)  # the state's seed wins
    resumed.load_state_dict(state)
    assert seen + epoch_labels(resumed) == expected[1]
    assert epoch_labels(resumed) == expected[2] and resumed.epoch == 2


def test_resume_at_the_end_of_an_epoch_starts_the_next():
    loader = data.DataLoader(numbered(12), batch_size=4, seed=3)
    epoch_labels(loader)
    state = loader.state_dict()
    assert state == {"epoch": 0, "batch": 3, "seed": 3}
    resumed = data.DataLoader(numbered(12), batch_size=4)
    resumed.load_state_dict(state)
    assert epoch_labels(resumed) == epoch_labels(loader)
    assert resumed.epoch == 1


def test_iterating_again_after_a_break_continues_the_epoch():
    loader = data.DataLoader(numbered(12), batch_size=4, shuffle=False)
    next(iter(loader))
    assert epoch_labels(loader) == [[4, 5, 6, 7], [8, 9, 10, 11]] and loader.epoch == 0


def test_loader_errors_say_what_to_change():
    with pytest.raises(ValueError, match="larger than the 100 examples .* drop_last=False"):
        data.DataLoader(data.lfw_subset(), batch_size=128)
    assert len(data.DataLoader(data.lfw_subset(), batch_size=128, drop_last=False)) == 1
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        data.DataLoader(numbered(4), batch_size=0)
    with pytest.raises(ValueError, match="output_range must be one of"):
        data.DataLoader(numbered(4), batch_size=2, output_range="relu")
    loader = data.DataLoader(numbered(8), batch_size=2)
    with pytest.raises(ValueError, match="batch 9, but an epoch here has 4 batches"):
        loader.load_state_dict({"epoch": 0, "batch": 9, "seed": 0})
    with pytest.raises(KeyError, match="lacks"):
        loader.load_state_dict({"epoch": 0})
