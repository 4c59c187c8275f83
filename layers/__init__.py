"""Custom Keras 3 layers implementing the papers' building blocks.

Every layer is registered with ``keras.saving.register_keras_serializable``
under the package name ``hep2repro`` so that saved ``.keras`` models load
without ``custom_objects``.
"""
