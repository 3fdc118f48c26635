"""One module per managed resource type of a region; `registry.REGISTRY` lists them in dependency order."""
