"""Portfolio intelligence (issue 21): households and their investment policy, tax lots and
tax-loss harvesting with the wash-sale rule, drift and rebalancing proposals, and the
trade-execution agent that turns an approved proposal into block orders.

Pure domain code: no clock, no I/O. scipy (constrained optimisation) and scikit-learn are
pure-computation libraries like numpy, which is why ``components`` may import them.
"""
