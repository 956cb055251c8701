"""Plot a DXF to a vector PDF in its own layer colours: how
``examples/drawings/jp-house/floor-plans-colour.pdf`` was made from
``examples/drawings/jp-house/dxf/bldg01_floor_plan_completed.dxf``.

CAD colour plots draw in yellow, green, cyan, red: the colour test sheet for the engine's
ink rendering (a luminance grayscale renders yellow near-white). Not run by ``make``: it needs
ezdxf and matplotlib, which the project does not otherwise use::

    python -m venv /tmp/plot && /tmp/plot/bin/pip install ezdxf==1.4.5 matplotlib==3.11.2
    /tmp/plot/bin/python examples/plot_dxf.py \\
        examples/drawings/jp-house/dxf/bldg01_floor_plan_completed.dxf \\
        examples/drawings/jp-house/floor-plans-colour.pdf
"""

import sys

import ezdxf
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from ezdxf.addons.drawing import Frontend, RenderContext  # noqa: E402
from ezdxf.addons.drawing.config import BackgroundPolicy, ColorPolicy, Configuration  # noqa: E402
from ezdxf.addons.drawing.matplotlib import MatplotlibBackend  # noqa: E402

A3_LANDSCAPE_IN = (16.54, 11.69)


def plot(src: str, out: str) -> None:
    doc = ezdxf.readfile(src)
    fig = plt.figure()
    ax = fig.add_axes([0.02, 0.02, 0.96, 0.96])
    # white paper; the DXF's white (colour 7) drawn black, every other colour as it is
    config = Configuration(background_policy=BackgroundPolicy.WHITE,
                           color_policy=ColorPolicy.COLOR_SWAP_BW)
    Frontend(RenderContext(doc), MatplotlibBackend(ax), config=config).draw_layout(
        doc.modelspace(), finalize=True)
    fig.set_size_inches(*A3_LANDSCAPE_IN)
    fig.savefig(out, format="pdf",
                metadata={"CreationDate": None, "Creator": "examples/plot_dxf.py"})


if __name__ == "__main__":
    plot(sys.argv[1], sys.argv[2])
