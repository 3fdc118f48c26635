"""The radar: agents report in with upstream's protocol; one last-seen record per agent."""
