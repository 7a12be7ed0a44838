"""Beskar7Machine: claim a PhysicalHost, ask it to provision, report the providerID.

reconciler.py (the thin shell over the store), core.py (the pure decision), hosts.py (claiming),
requirements.py (hardware arithmetic), stats.py (metrics).
"""
