"""Every read of the store, returned as frozen snapshots."""
