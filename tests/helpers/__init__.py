"""Test helpers: real servers, stores, app driving, clocks, the shared mail corpus."""
