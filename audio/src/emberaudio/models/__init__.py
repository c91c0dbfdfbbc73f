"""``emberaudio.models``: keyword classifiers (M5, MelCNN), speech models (Wav2Letter, Conformer), CTC decoding.

Example:
    >>> import emberaudio
    >>> emberaudio.models.M5(n_output=3, n_channel=4).fc.out_features
    3
"""

from ._classifiers import M5, MelCNN
from ._speech import Conformer, GreedyCTCDecoder, Wav2Letter, ctc_greedy_decode

__all__ = ["M5", "MelCNN", "Wav2Letter", "Conformer", "GreedyCTCDecoder", "ctc_greedy_decode"]
