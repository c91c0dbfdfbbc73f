"""``emberaudio.datasets``: speech corpora in their folder layouts, a class-per-folder data set, batching helpers.

Example:
    >>> from emberaudio import datasets
    >>> sorted(datasets.__all__)[1:4]
    ['AudioFolder', 'LIBRISPEECH', 'SPEECHCOMMANDS']
"""

from ._folder import AUDIO_EXTENSIONS, AudioFolder
from ._speech import LIBRISPEECH, SPEECHCOMMANDS, YESNO
from ._utils import collate_waveforms, pad_sequence_batch

__all__ = ["AudioFolder", "SPEECHCOMMANDS", "YESNO", "LIBRISPEECH", "collate_waveforms", "pad_sequence_batch",
           "AUDIO_EXTENSIONS"]
