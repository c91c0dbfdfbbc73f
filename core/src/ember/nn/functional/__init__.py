"""``ember.nn.functional``: the stateless form of every layer, one file per family.

Example:
    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.relu(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""

from ._activation import *  # noqa: F401,F403
from ._attention import *  # noqa: F401,F403
from ._conv import *  # noqa: F401,F403
from ._distance import *  # noqa: F401,F403
from ._dropout import *  # noqa: F401,F403
from ._fractional_pool import *  # noqa: F401,F403
from ._grid import *  # noqa: F401,F403
from ._linear import *  # noqa: F401,F403
from ._loss import *  # noqa: F401,F403
from ._norm import *  # noqa: F401,F403
from ._pad import *  # noqa: F401,F403
from ._pool import *  # noqa: F401,F403
from ._sampling import *  # noqa: F401,F403
from ._sparse import *  # noqa: F401,F403
