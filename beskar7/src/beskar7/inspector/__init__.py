"""The inspector that runs inside the inspection image: collect hardware, report, kexec.

Standard library only: it runs on a bare Python in a small initramfs.
"""
