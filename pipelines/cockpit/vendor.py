"""The Vega, Vega-Lite and Vega-Embed JavaScript the cockpit loads, vendored from installed Python packages: the
bundle vl-convert-python ships (the one Altair inlines with `inline=True`), for the Vega-Lite version Altair writes.
No CDN: the page works with no network."""

from __future__ import annotations

import functools

from altair.utils._importers import vl_version_for_vl_convert

BUNDLE_NAME = "vega-embed.bundle.js"


@functools.cache
def vega_embed_bundle() -> str:
    """A classic script that sets window.vegaEmbed, window.vegaLite and window.vega (loads from file:// too)."""
    import vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())
