"""The differentiable operations, one Function per PyTorch graph node."""
