"""Distance from RSSI: the log-distance path-loss model.

``rssi = P1m - 10 n log10(d)``, where ``P1m`` is the RSSI measured at 1 m (an
iBeacon's measured power, an Eddystone's 0 m power minus 41 dB, or a default for
phones) and ``n`` the environment factor (2 in free space, 2-3 in a gallery,
up to 4 through walls and crowds). Good to a factor of about two indoors: it ranks
"close" and "far", it is not a tape measure.
"""

from __future__ import annotations

import math
from typing import Final

#: RSSI at 1 m of a typical phone when the advertisement gives no power (dBm)
DEFAULT_POWER_AT_1M: Final = -59
#: Eddystone calibrates at 0 m; the 1 m figure is about 41 dB lower (Eddystone spec)
EDDYSTONE_0M_TO_1M_DB: Final = 41
DEFAULT_ENV_FACTOR: Final = 2.2


def power_at_1m(tx_power_0m: int | None) -> int:
    """The 1 m reference from an advertised TX power level (0 m), or the default."""
    if tx_power_0m is None:
        return DEFAULT_POWER_AT_1M
    return tx_power_0m - EDDYSTONE_0M_TO_1M_DB


def distance_m(
    rssi: float, measured_power: float = DEFAULT_POWER_AT_1M, env_factor: float = DEFAULT_ENV_FACTOR
) -> float:
    """Estimated distance in metres for an RSSI, rounded to centimetres."""
    return round(math.pow(10.0, (measured_power - rssi) / (10.0 * env_factor)), 2)


def rssi_at(
    distance: float,
    measured_power: float = DEFAULT_POWER_AT_1M,
    env_factor: float = DEFAULT_ENV_FACTOR,
) -> float:
    """The model's RSSI at a distance (the inverse of distance_m; used by the simulator)."""
    return measured_power - 10.0 * env_factor * math.log10(max(distance, 0.05))
