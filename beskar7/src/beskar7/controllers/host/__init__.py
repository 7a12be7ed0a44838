"""PhysicalHost: enroll over Redfish, inspect, provision, release.

reconciler.py (the thin shell; the only Redfish caller), core.py (the pure plan and decision),
data.py (its vocabulary), bmc.py (the Redfish steps), stats.py (metrics).
"""
