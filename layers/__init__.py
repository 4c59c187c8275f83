"""Custom Keras 3 layers implementing the papers' building blocks.

Every layer is registered with ``keras.saving.register_keras_serializable``
under the package name ``hep2repro`` (``Standardization``: ``hep2repro_dcae``,
the name it was first saved under) so that saved ``.keras`` models load
without ``custom_objects``. They are written in ``keras.ops`` and give the
same results on the TensorFlow, JAX and PyTorch backends (``tests/backends``),
where TensorFlow need not be installed.
"""

from .dilated import DilatedBlock
from .dri import DRI_TABLE1, DRIBlock, PreActConv2D
from .inception import InceptionBlock
from .preprocessing import ClassNames, CropPadDownsample, PerImageMinMaxResize
from .resizing import Resize
from .soft_threshold import SoftThreshold, soft_threshold
from .standardization import Standardization
from .super_resolution import SRResidual
from .unpooling import MaxPoolingWithArgmax2D, MaxUnpooling2D
from .wavelet import WaveletTransform2D, dwt2

__all__ = [
    "ClassNames",
    "CropPadDownsample",
    "DRI_TABLE1",
    "DRIBlock",
    "DilatedBlock",
    "InceptionBlock",
    "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D",
    "PerImageMinMaxResize",
    "PreActConv2D",
    "Resize",
    "SRResidual",
    "SoftThreshold",
    "Standardization",
    "WaveletTransform2D",
    "dwt2",
    "soft_threshold",
]
