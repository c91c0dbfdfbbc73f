"""torchvision's ``ops.misc`` building blocks: conv-norm-activation stacks, squeeze-excitation, MLP, Permute,
FrozenBatchNorm2d."""

from __future__ import annotations

import warnings

import ember
import ember.nn as nn


def _same_padding(kernel_size, dilation):
    """``(k - 1) // 2 * d`` per dimension (an int when both are ints)."""
    if isinstance(kernel_size, int) and isinstance(dilation, int):
        return (kernel_size - 1) // 2 * dilation
    n = len(kernel_size) if not isinstance(kernel_size, int) else len(dilation)
    ks = (kernel_size,) * n if isinstance(kernel_size, int) else tuple(kernel_size)
    ds = (dilation,) * n if isinstance(dilation, int) else tuple(dilation)
    return tuple((k - 1) // 2 * d for k, d in zip(ks, ds, strict=True))


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with fixed statistics and affine parameters (all buffers): ``x * scale + shift``.

    Loading a state dict ignores a ``num_batches_tracked`` entry, so a BatchNorm2d's state loads as is.

    Example:
        >>> import ember
        >>> from embervision.ops import FrozenBatchNorm2d
        >>> bn = FrozenBatchNorm2d(2)
        >>> bn.running_var.fill_(4.0)
        tensor([4., 4.])
        >>> [round(v, 4) for v in bn(ember.full((1, 2, 1, 1), 2.0)).flatten().tolist()], bn
        ([1.0, 1.0], FrozenBatchNorm2d(2, eps=1e-05))
    """

    def __init__(self, num_features, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ember.ones(num_features))
        self.register_buffer("bias", ember.zeros(num_features))
        self.register_buffer("running_mean", ember.zeros(num_features))
        self.register_buffer("running_var", ember.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def forward(self, x):
        scale = self.weight.reshape(1, -1, 1, 1) * (self.running_var.reshape(1, -1, 1, 1) + self.eps).rsqrt()
        shift = self.bias.reshape(1, -1, 1, 1) - self.running_mean.reshape(1, -1, 1, 1) * scale
        return x * scale + shift

    def __repr__(self):
        return f"{self.__class__.__name__}({self.weight.shape[0]}, eps={self.eps})"


class ConvNormActivation(nn.Sequential):
    """Convolution, optional norm, optional activation (use :class:`Conv2dNormActivation` or the 3-d one).

    ``padding=None`` keeps the size at stride 1 (``(k - 1) // 2 * dilation``); the convolution has a bias
    only without a norm layer unless ``bias`` says otherwise.

    Example:
        >>> from embervision.ops.misc import Conv2dNormActivation, ConvNormActivation
        >>> issubclass(Conv2dNormActivation, ConvNormActivation)
        True
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None,
                 conv_layer=nn.Conv2d):
        if padding is None:
            padding = _same_padding(kernel_size, dilation)
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation, groups=groups,
                             bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer() if inplace is None else activation_layer(inplace=inplace))
        super().__init__(*layers)
        self.out_channels = out_channels
        if type(self) is ConvNormActivation:
            warnings.warn("Don't use ConvNormActivation directly, please use Conv2dNormActivation and "
                          "Conv3dNormActivation instead.", stacklevel=2)


def _conv_norm_activation(name, conv_layer, norm_layer, input_shape):
    """A ``ConvNormActivation`` subclass with torchvision's signature for one convolution dimensionality."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=norm_layer, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        ConvNormActivation.__init__(self, in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer,
                                    activation_layer, dilation, inplace, bias, conv_layer)

    dims = ", ".join(map(str, input_shape))
    out = ", ".join(map(str, (1, 8) + input_shape[2:]))
    doc = f"""{conv_layer.__name__}, then ``{norm_layer.__name__}`` (or ``norm_layer``), then ReLU (or ``activation_layer``).

    Example:
        >>> import ember
        >>> from embervision.ops import {name}
        >>> {name}(3, 8)(ember.zeros({dims})).shape
        ember.Size([{out}])
    """
    return type(name, (ConvNormActivation,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


Conv2dNormActivation = _conv_norm_activation("Conv2dNormActivation", nn.Conv2d, nn.BatchNorm2d, (1, 3, 4, 4))
Conv3dNormActivation = _conv_norm_activation("Conv3dNormActivation", nn.Conv3d, nn.BatchNorm3d, (1, 3, 2, 4, 4))


class SqueezeExcitation(nn.Module):
    """Channel attention: global average pool, 1x1 conv, ``activation``, 1x1 conv, ``scale_activation`` gate.

    Example:
        >>> import ember
        >>> from embervision.ops import SqueezeExcitation
        >>> SqueezeExcitation(8, 2)(ember.ones(1, 8, 4, 4)).shape
        ember.Size([1, 8, 4, 4])
    """

    def __init__(self, input_channels, squeeze_channels, activation=nn.ReLU, scale_activation=nn.Sigmoid):
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input):
        return self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(input)))))

    def forward(self, input):
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Linear layers of widths ``hidden_channels``; between them norm (optional), activation, dropout.

    The last linear layer is followed by dropout only. ``inplace=None`` keeps the layers' own defaults.

    Example:
        >>> import ember
        >>> from embervision.ops import MLP
        >>> m = MLP(4, [8, 3], dropout=0.1)
        >>> m(ember.zeros(2, 4)).shape, len(m)
        (ember.Size([2, 3]), 5)
    """

    def __init__(self, in_channels, hidden_channels, norm_layer=None, activation_layer=nn.ReLU, inplace=None,
                 bias=True, dropout=0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers += [activation_layer(**params), nn.Dropout(dropout, **params)]
            in_dim = hidden_dim
        layers += [nn.Linear(in_dim, hidden_channels[-1], bias=bias), nn.Dropout(dropout, **params)]
        super().__init__(*layers)


class Permute(nn.Module):
    """Permute the input's dimensions to ``dims``.

    Example:
        >>> import ember
        >>> from embervision.ops import Permute
        >>> Permute([0, 2, 3, 1])(ember.zeros(1, 3, 4, 5)).shape
        ember.Size([1, 4, 5, 3])
    """

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return ember.permute(x, self.dims)
