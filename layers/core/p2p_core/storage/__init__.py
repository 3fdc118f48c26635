"""The DynamoDB items the control plane keeps: the config item, the run lease and the status item."""
