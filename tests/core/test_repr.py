"""``repr(tensor)`` matches torch's printer exactly (expectations recorded from torch 2.13)."""

import pytest

import ember
import ember as T  # the table's expressions are written for any torch-like module ``T``

# (expression, repr) - the expressions run unchanged against torch in test_table_matches_torch
CASES = [
    ('T.tensor([1.5, 2.25, -3.0])', 'tensor([ 1.5000,  2.2500, -3.0000])'),
    ('T.tensor([1.0, 2.0, 3.0])', 'tensor([1., 2., 3.])'),
    ('T.tensor([1, 2, -3])', 'tensor([ 1,  2, -3])'),
    ('T.tensor([True, False])', 'tensor([ True, False])'),
    ('T.tensor(3.5)', 'tensor(3.5000)'),
    ('T.tensor(7)', 'tensor(7)'),
    ('T.tensor([1e10, 1.0])', 'tensor([1.0000e+10, 1.0000e+00])'),
    ('T.tensor([1e-5, 1.0])', 'tensor([1.0000e-05, 1.0000e+00])'),
    ('T.tensor([1e-3, 1e3])', 'tensor([1.0000e-03, 1.0000e+03])'),
    ('T.tensor([0.001, 10.0])', 'tensor([1.0000e-03, 1.0000e+01])'),
    ('T.tensor([float("nan"), float("inf"), -float("inf"), 1.5])', 'tensor([   nan,    inf,   -inf, 1.5000])'),
    ('T.tensor([float("nan"), 1.0, 2.0])', 'tensor([nan, 1., 2.])'),
    ('T.tensor([-0.0, 1.0])', 'tensor([-0., 1.])'),
    ('T.tensor([[1.0, -2.5], [30.25, 4.0]])', 'tensor([[ 1.0000, -2.5000],\n        [30.2500,  4.0000]])'),
    ('T.arange(12).reshape(2, 3, 2)', 'tensor([[[ 0,  1],\n         [ 2,  3],\n         [ 4,  5]],\n\n        [[ 6,  7],\n         [ 8,  9],\n         [10, 11]]])'),
    ('T.arange(8, dtype=T.float32).reshape(2, 2, 2) / 3', 'tensor([[[0.0000, 0.3333],\n         [0.6667, 1.0000]],\n\n        [[1.3333, 1.6667],\n         [2.0000, 2.3333]]])'),
    ('T.arange(2000)', 'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('T.arange(3000, dtype=T.float32).reshape(60, 50)', 'tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n         4.9000e+01],\n        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n         9.9000e+01],\n        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n         1.4900e+02],\n        ...,\n        [2.8500e+03, 2.8510e+03, 2.8520e+03,  ..., 2.8970e+03, 2.8980e+03,\n         2.8990e+03],\n        [2.9000e+03, 2.9010e+03, 2.9020e+03,  ..., 2.9470e+03, 2.9480e+03,\n         2.9490e+03],\n        [2.9500e+03, 2.9510e+03, 2.9520e+03,  ..., 2.9970e+03, 2.9980e+03,\n         2.9990e+03]])'),
    ('T.arange(2400).reshape(10, 12, 20)', 'tensor([[[   0,    1,    2,  ...,   17,   18,   19],\n         [  20,   21,   22,  ...,   37,   38,   39],\n         [  40,   41,   42,  ...,   57,   58,   59],\n         ...,\n         [ 180,  181,  182,  ...,  197,  198,  199],\n         [ 200,  201,  202,  ...,  217,  218,  219],\n         [ 220,  221,  222,  ...,  237,  238,  239]],\n\n        [[ 240,  241,  242,  ...,  257,  258,  259],\n         [ 260,  261,  262,  ...,  277,  278,  279],\n         [ 280,  281,  282,  ...,  297,  298,  299],\n         ...,\n         [ 420,  421,  422,  ...,  437,  438,  439],\n         [ 440,  441,  442,  ...,  457,  458,  459],\n         [ 460,  461,  462,  ...,  477,  478,  479]],\n\n        [[ 480,  481,  482,  ...,  497,  498,  499],\n         [ 500,  501,  502,  ...,  517,  518,  519],\n         [ 520,  521,  522,  ...,  537,  538,  539],\n         ...,\n         [ 660,  661,  662,  ...,  677,  678,  679],\n         [ 680,  681,  682,  ...,  697,  698,  699],\n         [ 700,  701,  702,  ...,  717,  718,  719]],\n\n        ...,\n\n        [[1680, 1681, 1682,  ..., 1697, 1698, 1699],\n         [1700, 1701, 1702,  ..., 1717, 1718, 1719],\n         [1720, 1721, 1722,  ..., 1737, 1738, 1739],\n         ...,\n         [1860, 1861, 1862,  ..., 1877, 1878, 1879],\n         [1880, 1881, 1882,  ..., 1897, 1898, 1899],\n         [1900, 1901, 1902,  ..., 1917, 1918, 1919]],\n\n        [[1920, 1921, 1922,  ..., 1937, 1938, 1939],\n         [1940, 1941, 1942,  ..., 1957, 1958, 1959],\n         [1960, 1961, 1962,  ..., 1977, 1978, 1979],\n         ...,\n         [2100, 2101, 2102,  ..., 2117, 2118, 2119],\n         [2120, 2121, 2122,  ..., 2137, 2138, 2139],\n         [2140, 2141, 2142,  ..., 2157, 2158, 2159]],\n\n        [[2160, 2161, 2162,  ..., 2177, 2178, 2179],\n         [2180, 2181, 2182,  ..., 2197, 2198, 2199],\n         [2200, 2201, 2202,  ..., 2217, 2218, 2219],\n         ...,\n         [2340, 2341, 2342,  ..., 2357, 2358, 2359],\n         [2360, 2361, 2362,  ..., 2377, 2378, 2379],\n         [2380, 2381, 2382,  ..., 2397, 2398, 2399]]])'),
    ('T.tensor([1.5, 2.0], dtype=T.float64)', 'tensor([1.5000, 2.0000], dtype=ember.float64)'),
    ('T.tensor([1, 2], dtype=T.int32)', 'tensor([1, 2], dtype=ember.int32)'),
    ('T.tensor([1, 2], dtype=T.uint8)', 'tensor([1, 2], dtype=ember.uint8)'),
    ('T.tensor([1.5, 2.0], dtype=T.float16)', 'tensor([1.5000, 2.0000], dtype=ember.float16)'),
    ('T.tensor([])', 'tensor([])'),
    ('T.zeros(0, 3)', 'tensor([], size=(0, 3))'),
    ('T.zeros(0, dtype=T.int64)', 'tensor([], dtype=ember.int64)'),
    ('T.zeros(0, dtype=T.float64)', 'tensor([], dtype=ember.float64)'),
    ('T.tensor([1.0, 2.0], requires_grad=True)', 'tensor([1., 2.], requires_grad=True)'),
    ('T.tensor([1.0, 2.0], requires_grad=True) * 2', 'tensor([2., 4.], grad_fn=<MulBackward0>)'),
    ('T.tensor([1.0, 2.0], dtype=T.float64, requires_grad=True) * 2', 'tensor([2., 4.], dtype=ember.float64, grad_fn=<MulBackward0>)'),
    ('T.arange(40, dtype=T.float32) * 1.5', 'tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000, 45.0000, 46.5000,\n        48.0000, 49.5000, 51.0000, 52.5000, 54.0000, 55.5000, 57.0000, 58.5000])'),
    ('T.arange(100)', 'tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n        36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,\n        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,\n        72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89,\n        90, 91, 92, 93, 94, 95, 96, 97, 98, 99])'),
    ('T.tensor([1 + 2j, -3.5 - 1j])', 'tensor([ 1.0000+2.j, -3.5000-1.j])'),
    ('T.tensor([123456789012, 1])', 'tensor([123456789012,            1])'),
    ('T.tensor([1e-5, 2e-5])', 'tensor([1.0000e-05, 2.0000e-05])'),
    ('T.zeros(3)', 'tensor([0., 0., 0.])'),
    ('T.tensor([123456.0])', 'tensor([123456.])'),
    ('T.tensor([0.123456789, 100.5])', 'tensor([  0.1235, 100.5000])'),
    ('T.tensor([[-1.0, 2.0], [3.0, -4.0]])', 'tensor([[-1.,  2.],\n        [ 3., -4.]])'),
    ('T.tensor([1e8, 1.0])', 'tensor([1.0000e+08, 1.0000e+00])'),
    ('T.tensor([1e9, 1.0])', 'tensor([1.0000e+09, 1.0000e+00])'),
    ('T.tensor(2.0, requires_grad=True) * 3', 'tensor(6., grad_fn=<MulBackward0>)'),
    ('T.tensor([[True, False], [False, True]])', 'tensor([[ True, False],\n        [False,  True]])'),
    ('T.arange(60, dtype=T.float32).reshape(2, 30) / 7', 'tensor([[0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n         1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n         2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n         3.8571, 4.0000, 4.1429],\n        [4.2857, 4.4286, 4.5714, 4.7143, 4.8571, 5.0000, 5.1429, 5.2857, 5.4286,\n         5.5714, 5.7143, 5.8571, 6.0000, 6.1429, 6.2857, 6.4286, 6.5714, 6.7143,\n         6.8571, 7.0000, 7.1429, 7.2857, 7.4286, 7.5714, 7.7143, 7.8571, 8.0000,\n         8.1429, 8.2857, 8.4286]])'),
    ('T.tensor([1.5, 2.0], dtype=T.float16)', 'tensor([1.5000, 2.0000], dtype=ember.float16)'),
    ('(T.arange(1200, dtype=T.float32) * (1 + 1j) / 3)', 'tensor([0.0000e+00+0.0000e+00j, 3.3333e-01+3.3333e-01j, 6.6667e-01+6.6667e-01j,\n         ..., 3.9900e+02+3.9900e+02j, 3.9933e+02+3.9933e+02j,\n        3.9967e+02+3.9967e+02j])'),
    ('T.tensor([[1 + 2j, 3 - 4.5j]])', 'tensor([[1.+2.0000j, 3.-4.5000j]])'),
    ("T.tensor(float('nan'))", 'tensor(nan)'),
    ("T.tensor([1e-5, float('nan')])", 'tensor([1.0000e-05,        nan])'),
    ('T.tensor([], dtype=T.float16)', 'tensor([], dtype=ember.float16)'),
    ('(T.tensor([1., 2.], dtype=T.float64, requires_grad=True).reshape(2, 1) * T.arange(30, dtype=T.float64))', 'tensor([[ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n         14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n         28., 29.],\n        [ 0.,  2.,  4.,  6.,  8., 10., 12., 14., 16., 18., 20., 22., 24., 26.,\n         28., 30., 32., 34., 36., 38., 40., 42., 44., 46., 48., 50., 52., 54.,\n         56., 58.]], dtype=ember.float64, grad_fn=<MulBackward0>)'),
    ('T.tensor([-1e-7, 5.0])', 'tensor([-1.0000e-07,  5.0000e+00])'),
    ('T.tensor([-128, 127], dtype=T.int8)', 'tensor([-128,  127], dtype=ember.int8)'),
    ('T.tensor([[1, -20], [300, 4]], dtype=T.int16)', 'tensor([[  1, -20],\n        [300,   4]], dtype=ember.int16)'),
    ('T.tensor(True)', 'tensor(True)'),
    ('T.tensor(-0.5)', 'tensor(-0.5000)'),
    ('T.tensor(1e20)', 'tensor(1.0000e+20)'),
    ('T.arange(4, dtype=T.float32).reshape(4, 1) - 1.5', 'tensor([[-1.5000],\n        [-0.5000],\n        [ 0.5000],\n        [ 1.5000]])'),
    ('T.tensor([1.0, 2000.0])', 'tensor([1.0000e+00, 2.0000e+03])'),
    ('T.zeros(2, 3)', 'tensor([[0., 0., 0.],\n        [0., 0., 0.]])'),
    ("T.tensor([float('inf'), -float('inf')])", 'tensor([inf, -inf])'),
    ('T.zeros(2, 0, 3, dtype=T.int32)', 'tensor([], size=(2, 0, 3), dtype=ember.int32)'),
    ('T.ones(2, 2, requires_grad=True)', 'tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)'),
]


@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    ember.set_printoptions(profile="default")


@pytest.mark.parametrize("expr, expected", CASES, ids=[c[0][:40] for c in CASES])
def test_repr_matches_torch(expr, expected):
    assert repr(eval(expr)) == expected
    assert str(eval(expr)) == expected


def test_printoptions():
    ember.set_printoptions(precision=2)
    assert repr(ember.tensor([1.2345, 100.5])) == 'tensor([  1.23, 100.50])'
    ember.set_printoptions(sci_mode=False)
    assert repr(ember.tensor([1e-5, 1.0])) == 'tensor([0.00, 1.00])'
    ember.set_printoptions(sci_mode=True)
    assert repr(ember.tensor([2.0, 1.0])) == 'tensor([2.00e+00, 1.00e+00])'
    ember.set_printoptions(linewidth=30)
    assert repr(ember.arange(20)) == 'tensor([ 0,  1,  2,  3,  4,\n         5,  6,  7,  8,  9,\n        10, 11, 12, 13, 14,\n        15, 16, 17, 18, 19])'
    ember.set_printoptions(threshold=5, edgeitems=1)
    assert repr(ember.arange(12).reshape(3, 4)) == 'tensor([[ 0,  ...,  3],\n        ...,\n        [ 8,  ..., 11]])'
    ember.set_printoptions(profile="short")
    assert repr(ember.arange(100) / 7) == 'tensor([ 0.00,  0.14,  0.29,  0.43,  0.57,  0.71,  0.86,  1.00,  1.14,  1.29,\n         1.43,  1.57,  1.71,  1.86,  2.00,  2.14,  2.29,  2.43,  2.57,  2.71,\n         2.86,  3.00,  3.14,  3.29,  3.43,  3.57,  3.71,  3.86,  4.00,  4.14,\n         4.29,  4.43,  4.57,  4.71,  4.86,  5.00,  5.14,  5.29,  5.43,  5.57,\n         5.71,  5.86,  6.00,  6.14,  6.29,  6.43,  6.57,  6.71,  6.86,  7.00,\n         7.14,  7.29,  7.43,  7.57,  7.71,  7.86,  8.00,  8.14,  8.29,  8.43,\n         8.57,  8.71,  8.86,  9.00,  9.14,  9.29,  9.43,  9.57,  9.71,  9.86,\n        10.00, 10.14, 10.29, 10.43, 10.57, 10.71, 10.86, 11.00, 11.14, 11.29,\n        11.43, 11.57, 11.71, 11.86, 12.00, 12.14, 12.29, 12.43, 12.57, 12.71,\n        12.86, 13.00, 13.14, 13.29, 13.43, 13.57, 13.71, 13.86, 14.00, 14.14])'
    ember.set_printoptions(profile="default")
    assert repr(ember.tensor([1.2345])) == "tensor([1.2345])"


def test_device_suffix_on_non_default_device():
    assert repr(ember.tensor([1.0, 2.0], device="strict")) == "tensor([1., 2.], device='strict')"
    t = ember.tensor([1, 2], dtype=ember.int32, device="strict")
    assert repr(t) == "tensor([1, 2], device='strict', dtype=ember.int32)"


def test_format_of_scalars():
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    assert f"{ember.tensor([1.0])}" == "tensor([1.])"


def test_table_matches_torch():
    torch = pytest.importorskip("torch")
    for expr, expected in CASES:
        assert repr(eval(expr, {"T": torch})).replace("torch.", "ember.") == expected, expr
