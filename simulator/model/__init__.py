"""The core model's equations, one module per block, each a pure vectorised function.

Arrays are shaped ``(paths,)`` for one year; parameters broadcast (a float, or a ``(paths,)``
array when parameter uncertainty is on). No function here draws random numbers, reads a file or
keeps state: :mod:`simulator.engine` owns the loop over years and hands the shocks in.
"""
