"""The agent bootstrap: user data that installs the agent runner, and the runner itself (SPEC §6)."""
