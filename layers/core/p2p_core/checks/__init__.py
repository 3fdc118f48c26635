"""What Plan checks against AWS's limits and the account before changing anything: deliverable user data and
headers, enabled regions, instance type offerings and on-demand vCPU quota headroom."""
