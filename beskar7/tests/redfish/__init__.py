"""Tests of the Redfish facade against the sushy-tools emulator and misbehaving peers."""
