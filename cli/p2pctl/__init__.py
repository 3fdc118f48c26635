"""p2pctl: the operator's command line for the p2p control plane."""
