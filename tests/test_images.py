import numpy as np
import pytest
from PIL import Image

from nst import NSTError
from nst.images import (
    as_pil,
    atomic_write,
    check_output_path,
    fit_long_side,
    frame_widths,
    load_image,
    pil_to_tensor,
    save_image,
    tensor_to_pil,
    uniform_border,
)


def test_exif_orientation_applied(tmp_path):
    img = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    p = tmp_path / "rot.jpg"
    img.save(p, exif=exif)
    assert load_image(p).size == (20, 40)


def test_modes_become_rgb(tmp_path):
    cases = {
        "gray.png": Image.new("L", (4, 4), 128),
        "pal.png": Image.new("RGB", (4, 4), (10, 20, 30)).convert("P"),
        "bw.png": Image.new("1", (4, 4), 1),
        "cmyk.jpg": Image.new("CMYK", (4, 4), (0, 0, 0, 0)),
    }
    for name, img in cases.items():
        img.save(tmp_path / name)
        out = load_image(tmp_path / name)
        assert out.mode == "RGB" and out.size == (4, 4), name
    assert load_image(tmp_path / "gray.png").getpixel((0, 0)) == (128, 128, 128)
    assert load_image(tmp_path / "bw.png").getpixel((0, 0)) == (255, 255, 255)


def test_alpha_composited_on_white(tmp_path):
    img = Image.new("RGBA", (2, 1), (0, 0, 255, 255))
    img.putpixel((1, 0), (0, 0, 0, 0))
    img.save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.getpixel((0, 0)) == (0, 0, 255)
    assert out.getpixel((1, 0)) == (255, 255, 255)


def test_16bit_scaled_to_8bit(tmp_path):
    a = np.array([[0, 32896, 65535]], dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    out = np.asarray(load_image(tmp_path / "deep.png"))
    assert out[0, :, 0].tolist() == [0, 128, 255]


def test_tensor_round_trip():
    img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    t = pil_to_tensor(img)
    assert t.shape == (1, 3, 4, 4) and t.dtype.is_floating_point
    assert float(t.max()) <= 1.0
    assert np.array_equal(np.asarray(tensor_to_pil(t)), np.asarray(img))


def test_fit_long_side():
    assert fit_long_side((1024, 768), 512) == (512, 384)
    assert fit_long_side((300, 451), 128) == (85, 128)


def test_atomic_write_keeps_existing_file(tmp_path):
    p = tmp_path / "out.png"
    p.write_bytes(b"precious")

    def failing(tmp):
        open(tmp, "wb").write(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(p, failing)
    assert p.read_bytes() == b"precious"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.png"]


def test_save_png_and_jpeg_decode(tmp_path):
    img = Image.new("RGB", (8, 6), (1, 2, 3))
    for name in ("a.png", "b.jpg"):
        save_image(img, tmp_path / name)
        assert Image.open(tmp_path / name).size == (8, 6)
    with pytest.raises(NSTError, match="unsupported output extension"):
        save_image(img, tmp_path / "c.xyz")


def test_output_path_checks(tmp_path):
    inp = tmp_path / "in.png"
    Image.new("RGB", (2, 2)).save(inp)
    with pytest.raises(NSTError, match="would overwrite the input"):
        check_output_path(tmp_path / "." / "in.png", [inp])
    with pytest.raises(NSTError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "o.png", [inp])
    assert check_output_path(tmp_path / "o.png", [inp]).name == "o.png"


def test_numpy_arrays_are_images(astronaut):
    rgb = np.asarray(load_image(astronaut))
    assert np.array_equal(np.asarray(as_pil(rgb)), rgb)
    assert np.array_equal(np.asarray(as_pil(rgb / 255.0)), rgb)  # float in [0, 1]
    assert as_pil(rgb[:, :, 0]).mode == "RGB" and as_pil(np.dstack([rgb, rgb[:, :, :1]])).size == (512, 512)
    for bad, message in [(np.zeros((4, 4, 2), np.uint8), "expected an array of shape"),
                         (np.full((4, 4, 3), np.nan), "NaN"), (np.zeros((4, 4, 3), np.int64), "uint8 or float")]:
        with pytest.raises(NSTError, match=message):
            as_pil(bad, "content image")


def framed(painting: Image.Image, widths: tuple[int, int, int, int], colour=(3, 2, 0)) -> Image.Image:
    """``painting`` inside a frame of ``colour``, ``widths`` px left/top/right/bottom."""
    left, top, right, bottom = widths
    out = Image.new("RGB", (painting.width + left + right, painting.height + top + bottom), colour)
    out.paste(painting, (left, top))
    return out


def test_uniform_border_measures_a_frame_and_not_a_painted_edge(astronaut):
    painting = as_pil(astronaut).resize((240, 180))
    assert uniform_border(painting) == (0, 0, 0, 0)
    # JPEG noise inside the band (within the tolerance) and a few specks of dust (under 2 % of a row) pass
    noisy = np.asarray(framed(painting, (6, 7, 8, 5)), dtype=np.int16)
    noisy[:7] += np.random.default_rng(0).integers(0, 20, size=noisy[:7].shape, dtype=np.int16)
    noisy[3, 40:43] = 255
    assert uniform_border(Image.fromarray(noisy.clip(0, 255).astype(np.uint8))) == (6, 7, 8, 5)
    assert frame_widths(framed(painting, (6, 7, 8, 5))) == (6, 7, 8, 5)
    # a band on one side is the picture's own (a dark background), and so is a wide one (a plain backdrop)
    assert uniform_border(framed(painting, (0, 12, 0, 0))) == (0, 12, 0, 0)
    assert frame_widths(framed(painting, (0, 12, 0, 0))) is None
    assert frame_widths(framed(painting, (30, 30, 30, 30))) is None
    assert uniform_border(Image.new("RGB", (5, 4), "white")) == (5, 4, 5, 4)


def test_the_built_in_paintings_have_no_frame():
    from nst.catalogue import paintings

    for name in paintings():
        assert uniform_border(load_image(name)) == (0, 0, 0, 0), name
