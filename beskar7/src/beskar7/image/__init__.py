"""The inspection image and the test target OS, built from Debian bookworm without root.

`python -m beskar7.image build` fetches the archive's Packages indexes, resolves the packages
in beskar7/image/packages.txt with their Depends, downloads and verifies the .debs, unpacks
them in pure Python and assembles build/image/{vmlinuz, initrd.img, target.tar.gz,
manifest.json}. See build.py for the steps and beskar7/image/ for the static inputs.
"""
