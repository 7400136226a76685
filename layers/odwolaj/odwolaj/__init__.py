"""Odwołaj domain package: models, rules and services shared by every Lambda handler.

Shipped as a Lambda layer and installed in development as an ordinary package, so
`import odwolaj` is the same in tests, in the local runner and on Lambda.
"""
