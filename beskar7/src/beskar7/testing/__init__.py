"""Test peers shipped with beskar7: emulators used by tests, benchmarks and the local lab."""
