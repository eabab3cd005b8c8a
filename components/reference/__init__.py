"""Reference data: client accounts and entitlements, sanctions lists.

Static (start-of-day) facts that components consult; nothing here changes
during a trading day. ``data/`` holds packaged reference files.
"""
