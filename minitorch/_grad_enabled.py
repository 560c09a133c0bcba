"""Whether operations record the autograd graph: one mutable cell, read on every operation.

It lives below the tensor so that the declaration layer (out=) can read it too;
minitorch.autograd.grad_mode holds the switches that set it (no_grad, enable_grad, ...).
A list is cheaper to read than a contextvar.
"""
_enabled = [True]
