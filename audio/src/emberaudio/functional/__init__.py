"""``emberaudio.functional``: stateless audio functions, like ``torchaudio.functional``.

Example:
    >>> import ember, emberaudio.functional as AF
    >>> AF.mu_law_decoding(AF.mu_law_encoding(ember.tensor([0.5]), 256), 256).shape
    ember.Size([1])
"""

from ._signal import (  # noqa: F401
    biquad, compute_deltas, deemphasis, gain, highpass_biquad, lfilter, lowpass_biquad, mu_law_decoding,
    mu_law_encoding, preemphasis, resample,
)
from ._spectral import (  # noqa: F401
    DB_to_amplitude, amplitude_to_DB, create_dct, griffinlim, inverse_spectrogram, linear_fbanks, mask_along_axis,
    mask_along_axis_iid, melscale_fbanks, spectrogram,
)
from ._signal import __all__ as _signal_all
from ._spectral import __all__ as _spectral_all

__all__ = _signal_all + _spectral_all
