"""``emberaudio.transforms``: audio transforms as modules, like ``torchaudio.transforms``.

Example:
    >>> import ember, emberaudio.transforms as T
    >>> T.AmplitudeToDB()(ember.tensor([10.0]))
    tensor([10.])
"""

from ._transforms import *  # noqa: F401,F403
from ._transforms import __all__  # noqa: F401
