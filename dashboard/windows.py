"""The windows the dashboard shows: how far back, and how wide each bar is."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    name: str
    seconds: int
    step: int  # seconds per bar; the rollups' minute buckets below an hour, hour buckets above
    tick: int  # seconds between time-axis labels
    tick_format: str


WINDOWS = {
    window.name: window
    for window in (
        Window("1h", 3600, 60, 600, "%H:%M"),
        Window("24h", 86400, 900, 3 * 3600, "%H:%M"),
        Window("7d", 7 * 86400, 7200, 86400, "%a %d"),
    )
}
DEFAULT_WINDOW = "24h"


def window_named(name):
    return WINDOWS.get(name) or WINDOWS[DEFAULT_WINDOW]
