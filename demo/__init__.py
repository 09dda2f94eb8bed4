"""`reconcile demo`: the whole mission, offline, from one command (see `demo.run`)."""
