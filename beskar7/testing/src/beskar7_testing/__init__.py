"""beskar7's test doubles and lab, kept out of the beskar7 wheel (a dev-only workspace package).

emulator (the sushy-tools Redfish emulator), kube_emulator* (a Kubernetes API over HTTP backed
by the embedded store), hardware/fleet* (simulated servers that boot the real inspector), qemu
(VMs powered through the emulator), objects (object builders), lab (all of it wired together).
"""
