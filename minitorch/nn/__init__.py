"""minitorch.nn: Module, Parameter, layers, losses, functional, init.

Names load on first use (PEP 562), so ``import minitorch`` stays fast and each layer's
module is imported only when a program touches it.
"""
import importlib

_EXPORTS = {
    # the module system
    "Parameter": ".parameter",
    "Module": ".modules.module",
    "Sequential": ".modules.container", "ModuleList": ".modules.container",
    "ModuleDict": ".modules.container",
    "ParameterList": ".modules.container_params", "ParameterDict": ".modules.container_params",
    # layers
    "Linear": ".modules.linear", "Identity": ".modules.linear",
    "Bilinear": ".modules.bilinear",
    "Fold": ".modules.fold", "Unfold": ".modules.fold",
    "PixelShuffle": ".modules.pixelshuffle", "PixelUnshuffle": ".modules.pixelshuffle",
    "ChannelShuffle": ".modules.pixelshuffle",
    "ReLU": ".modules.activation", "LeakyReLU": ".modules.activation",
    "Hardtanh": ".modules.activation", "ReLU6": ".modules.activation",
    "GELU": ".modules.activation", "Sigmoid": ".modules.activation", "Tanh": ".modules.activation",
    "Softmax": ".modules.activation", "LogSoftmax": ".modules.activation",
    "SiLU": ".modules.activation_more",
    "Mish": ".modules.activation_more",
    "SELU": ".modules.activation_more",
    "Hardswish": ".modules.activation_more",
    "Hardsigmoid": ".modules.activation_more",
    "ELU": ".modules.activation_more",
    "CELU": ".modules.activation_more",
    "Softplus": ".modules.activation_more",
    "LogSigmoid": ".modules.activation_more",
    "Softsign": ".modules.activation_more",
    "Tanhshrink": ".modules.activation_more",
    "Threshold": ".modules.activation_more",
    "Softshrink": ".modules.activation_more",
    "Hardshrink": ".modules.activation_more",
    "GLU": ".modules.activation_more",
    "PReLU": ".modules.activation_more",
    "RReLU": ".modules.activation_more",
    "Softmin": ".modules.activation_more",
    "Softmax2d": ".modules.activation_more",
    "Flatten": ".modules.flatten", "Unflatten": ".modules.flatten",
    "Dropout": ".modules.dropout",
    "Dropout1d": ".modules.dropout",
    "Dropout2d": ".modules.dropout",
    "Dropout3d": ".modules.dropout",
    "AlphaDropout": ".modules.dropout",
    "FeatureAlphaDropout": ".modules.dropout",
    "Embedding": ".modules.sparse",
    "EmbeddingBag": ".modules.sparse",
    "LocalResponseNorm": ".modules.lrn",
    "MaxUnpool1d": ".modules.pooling_more", "MaxUnpool2d": ".modules.pooling_more",
    "LPPool1d": ".modules.pooling_more", "LPPool2d": ".modules.pooling_more",
    "Conv2d": ".modules.conv",
    "Conv1d": ".modules.conv",
    "ConvTranspose1d": ".modules.conv",
    "ConvTranspose2d": ".modules.conv",
    "Conv3d": ".modules.conv", "ConvTranspose3d": ".modules.conv",
    "MaxPool3d": ".modules.pooling", "AvgPool3d": ".modules.pooling",
    "AdaptiveAvgPool3d": ".modules.pooling", "AdaptiveMaxPool3d": ".modules.pooling",
    "BatchNorm3d": ".modules.batchnorm",
    "LazyLinear": ".modules.lazy", "LazyConv1d": ".modules.lazy", "LazyConv2d": ".modules.lazy",
    "LazyConv3d": ".modules.lazy", "UninitializedParameter": ".parameter",
    "MaxPool2d": ".modules.pooling", "AvgPool2d": ".modules.pooling",
    "MaxPool1d": ".modules.pooling",
    "AvgPool1d": ".modules.pooling",
    "AdaptiveAvgPool1d": ".modules.pooling",
    "AdaptiveAvgPool2d": ".modules.pooling",
    "AdaptiveMaxPool1d": ".modules.pooling",
    "AdaptiveMaxPool2d": ".modules.pooling",
    "BatchNorm1d": ".modules.batchnorm", "BatchNorm2d": ".modules.batchnorm",
    "InstanceNorm1d": ".modules.instancenorm",
    "InstanceNorm2d": ".modules.instancenorm",
    "InstanceNorm3d": ".modules.instancenorm",
    "ConstantPad1d": ".modules.padding",
    "ConstantPad2d": ".modules.padding",
    "ConstantPad3d": ".modules.padding",
    "ZeroPad1d": ".modules.padding",
    "ZeroPad2d": ".modules.padding",
    "ZeroPad3d": ".modules.padding",
    "ReflectionPad1d": ".modules.padding",
    "ReflectionPad2d": ".modules.padding",
    "ReflectionPad3d": ".modules.padding",
    "ReplicationPad1d": ".modules.padding",
    "ReplicationPad2d": ".modules.padding",
    "ReplicationPad3d": ".modules.padding",
    "CircularPad1d": ".modules.padding",
    "CircularPad2d": ".modules.padding",
    "CircularPad3d": ".modules.padding",
    "Upsample": ".modules.upsampling",
    "UpsamplingNearest2d": ".modules.upsampling",
    "UpsamplingBilinear2d": ".modules.upsampling",
    "LayerNorm": ".modules.normalization", "RMSNorm": ".modules.normalization", "GroupNorm": ".modules.normalization",
    "MultiheadAttention": ".modules.activation_attention",
    "Transformer": ".modules.transformer", "TransformerEncoder": ".modules.transformer",
    "TransformerDecoder": ".modules.transformer", "TransformerEncoderLayer": ".modules.transformer",
    "TransformerDecoderLayer": ".modules.transformer",
    "RNNBase": ".modules.rnn_base",
    "RNN": ".modules.rnn",
    "LSTM": ".modules.rnn",
    "GRU": ".modules.rnn",
    "RNNCellBase": ".modules.rnn_cell",
    "RNNCell": ".modules.rnn_cell",
    "LSTMCell": ".modules.rnn_cell",
    "GRUCell": ".modules.rnn_cell",
    # losses
    "MSELoss": ".modules.loss", "L1Loss": ".modules.loss", "NLLLoss": ".modules.loss",
    "CrossEntropyLoss": ".modules.loss", "BCELoss": ".modules.loss",
    "BCEWithLogitsLoss": ".modules.loss",
    **dict.fromkeys(["SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss",
                     "SoftMarginLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
                     "TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiMarginLoss",
                     "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "CTCLoss"], ".modules.loss"),
    "CosineSimilarity": ".modules.distance", "PairwiseDistance": ".modules.distance",
    # submodules
    "functional": ".functional", "init": ".init", "parallel": ".parallel",
    "utils": ".utils",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    try:
        module = _EXPORTS[name]
    except KeyError:
        from .._unsupported import missing
        raise missing("nn", name, "module 'minitorch.nn'") from None
    mod = importlib.import_module(module, __name__)
    value = mod if module.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
