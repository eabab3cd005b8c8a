"""FIX 4.4 shared by both ends of a session: the live venue gateway
(``live.adapters.fix.gateway``) and the simulated venues' acceptor
(``venues_sim.fix_acceptor``).

``wire`` holds the vocabulary (tag numbers, message types, enumerations) and
the exact text <-> integer conversions; ``settings`` reads, writes and renders
QuickFIX settings files; neither imports quickfix, so both are unit-testable
without it. ``market_data`` holds the market data messages' vocabulary;
``quickfix_io`` (which does import quickfix) moves messages with repeating
groups to and from QuickFIX objects for both ends.
"""
